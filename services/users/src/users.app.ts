import type { OpenAPIHono } from "@hono/zod-openapi";
import type { AppEnv } from "@shared/http";
import { createServiceApp, type ServiceAppOptions, serviceApiDocument } from "@shared/service";
import type { UsersEndpoints } from "./users.endpoints.ts";
import { usersRoutes } from "./users.routes.ts";

/** What the users HTTP app needs; users.module.ts builds it, tests build it with fakes. */
export interface AppDeps extends ServiceAppOptions {
  endpoints: UsersEndpoints;
}

const info = {
  title: "users",
  description: "User profiles. Identity arrives from the gateway as X-User-Id and X-User-Roles.",
};

/** The OpenAPI document, from the routes' contracts alone (no service, no connections). */
export function createApiDocument(version: string): Record<string, unknown> {
  return serviceApiDocument(info, version, usersRoutes);
}

/** The users service's Hono app with API, health, metrics and docs routes. */
export function createApp(deps: AppDeps): OpenAPIHono<AppEnv> {
  return createServiceApp(info, deps, usersRoutes, deps.endpoints);
}
