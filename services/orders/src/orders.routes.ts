import { httpRoute } from "@shared/endpoint";
import { ordersAdvance, ordersCancel, ordersGet, ordersList, ordersPlace } from "./orders.contract.ts";

const common = { tags: ["orders"], authenticated: true } as const;

/** HTTP transport of the orders endpoints, keyed like them. */
export const ordersRoutes = {
  place: httpRoute(ordersPlace, {
    ...common,
    method: "post",
    path: "/orders",
    status: 201,
    idempotencyKey: true,
    headers: (o) => ({ location: `/orders/${o.id}` }),
  }),
  list: httpRoute(ordersList, {
    ...common,
    method: "get",
    path: "/orders",
    query: ["cursor", "limit", "userId", "scope", "status"],
  }),
  get: httpRoute(ordersGet, { ...common, method: "get", path: "/orders/{id}", params: ["id"] }),
  cancel: httpRoute(ordersCancel, { ...common, method: "post", path: "/orders/{id}/cancel", params: ["id"] }),
  advance: httpRoute(ordersAdvance, { ...common, method: "post", path: "/orders/{id}/status", params: ["id"] }),
};
