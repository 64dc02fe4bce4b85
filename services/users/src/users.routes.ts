import type { OpenAPIHono } from "@hono/zod-openapi";
import { mountHttpEndpoint } from "@shared/endpoint";
import type { AppEnv } from "@shared/http";
import type { UsersEndpoints } from "./users.endpoints.ts";

/** HTTP transport of the users endpoints. */
export function mountUsersRoutes(app: OpenAPIHono<AppEnv>, endpoints: UsersEndpoints): void {
  const common = { tags: ["users"], authenticated: true } as const;
  mountHttpEndpoint(app, endpoints.create, {
    ...common,
    method: "post",
    path: "/users",
    status: 201,
    headers: (p: { id: string }) => ({ location: `/users/${p.id}` }),
  });
  mountHttpEndpoint(app, endpoints.get, { ...common, method: "get", path: "/users/{id}", params: ["id"] });
  mountHttpEndpoint(app, endpoints.update, { ...common, method: "patch", path: "/users/{id}", params: ["id"] });
  mountHttpEndpoint(app, endpoints.list, { ...common, method: "get", path: "/users", query: ["cursor", "limit"] });
}
