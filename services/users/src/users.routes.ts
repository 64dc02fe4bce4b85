import { httpRoute } from "@shared/endpoint";
import { usersCreate, usersGet, usersList, usersUpdate } from "./users.contract.ts";

const common = { tags: ["users"], authenticated: true } as const;

/** HTTP transport of the users endpoints, keyed like them. */
export const usersRoutes = {
  create: httpRoute(usersCreate, {
    ...common,
    method: "post",
    path: "/users",
    status: 201,
    headers: (p) => ({ location: `/users/${p.id}` }),
  }),
  get: httpRoute(usersGet, { ...common, method: "get", path: "/users/{id}", params: ["id"] }),
  update: httpRoute(usersUpdate, { ...common, method: "patch", path: "/users/{id}", params: ["id"] }),
  list: httpRoute(usersList, { ...common, method: "get", path: "/users", query: ["cursor", "limit"] }),
};
