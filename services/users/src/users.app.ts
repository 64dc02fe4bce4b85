import type { OpenAPIHono } from "@hono/zod-openapi";
import type { AppEnv } from "@shared/http";
import { createServiceApp, type ServiceAppOptions, serviceApiDocument } from "@shared/service";
import { makeUsersEndpoints, type UsersEndpoints } from "./users.endpoints.ts";
import { mountUsersRoutes } from "./users.routes.ts";
import type { UsersService } from "./users.service.ts";

/** What the users HTTP app needs; users.module.ts builds it, tests build it with fakes. */
export interface AppDeps extends ServiceAppOptions {
  endpoints: UsersEndpoints;
}

const info = {
  title: "users",
  description: "User profiles. Identity arrives from the gateway as X-User-Id and X-User-Roles.",
};

/** Builds the API routes alone, e.g. to generate the OpenAPI document without serving. */
export function createApiDocument(version: string): Record<string, unknown> {
  // Handlers are never called here, so the endpoints need no service.
  return serviceApiDocument(info, version, (app) =>
    mountUsersRoutes(app, makeUsersEndpoints(undefined as unknown as UsersService)),
  );
}

/** The users service's Hono app with API, health, metrics and docs routes. */
export function createApp(deps: AppDeps): OpenAPIHono<AppEnv> {
  return createServiceApp(info, deps, (app) => mountUsersRoutes(app, deps.endpoints));
}
