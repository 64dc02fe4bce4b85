import type { OpenAPIHono } from "@hono/zod-openapi";
import { mountHttpEndpoint } from "@shared/endpoint";
import type { AppEnv } from "@shared/http";
import type { OrdersEndpoints } from "./orders.endpoints.ts";

/** HTTP transport of the orders endpoints. */
export function mountOrdersRoutes(app: OpenAPIHono<AppEnv>, endpoints: OrdersEndpoints): void {
  const common = { tags: ["orders"], authenticated: true } as const;
  mountHttpEndpoint(app, endpoints.place, {
    ...common,
    method: "post",
    path: "/orders",
    status: 201,
    headers: (o: { id: string }) => ({ location: `/orders/${o.id}` }),
  });
  mountHttpEndpoint(app, endpoints.list, {
    ...common,
    method: "get",
    path: "/orders",
    query: ["cursor", "limit", "userId", "scope", "status"],
  });
  mountHttpEndpoint(app, endpoints.get, { ...common, method: "get", path: "/orders/{id}", params: ["id"] });
  mountHttpEndpoint(app, endpoints.cancel, {
    ...common,
    method: "post",
    path: "/orders/{id}/cancel",
    params: ["id"],
  });
  mountHttpEndpoint(app, endpoints.advance, {
    ...common,
    method: "post",
    path: "/orders/{id}/status",
    params: ["id"],
  });
}
