import type { OpenAPIHono } from "@hono/zod-openapi";
import { mountHttpEndpoint } from "@shared/endpoint";
import type { AppEnv } from "@shared/http";
import type { NotifierEndpoints } from "./notifier.endpoints.ts";

/** HTTP transport of the notifier endpoints. */
export function mountNotifierRoutes(app: OpenAPIHono<AppEnv>, endpoints: NotifierEndpoints): void {
  const common = { tags: ["notifications"], authenticated: true } as const;
  mountHttpEndpoint(app, endpoints.list, {
    ...common,
    method: "get",
    path: "/notifications",
    query: ["cursor", "limit", "unread"],
  });
  mountHttpEndpoint(app, endpoints.read, {
    ...common,
    method: "post",
    path: "/notifications/{id}/read",
    params: ["id"],
    body: false,
  });
}
