import type { OpenAPIHono } from "@hono/zod-openapi";
import { asyncApiDocument, mountAsyncApi, platformEvents } from "@shared/events";
import type { AppEnv } from "@shared/http";
import { createServiceApp, type ServiceAppOptions, serviceApiDocument } from "@shared/service";
import type { AuthEndpoints } from "./auth.endpoints.ts";
import { authRoutes } from "./auth.routes.ts";

/** What the auth HTTP app needs; auth.module.ts builds it, tests build it with fakes. */
export interface AppDeps extends ServiceAppOptions {
  endpoints: AuthEndpoints;
}

const info = {
  title: "auth",
  description:
    "Accounts, sessions and roles. Issues EdDSA access tokens (JWKS at /.well-known/jwks.json) and rotating refresh tokens. Admin operations read the gateway's X-User-Id and X-User-Roles.",
};

/** The OpenAPI document, from the routes' contracts alone (no service, no connections). */
export function createApiDocument(version: string): Record<string, unknown> {
  return serviceApiDocument(info, version, authRoutes);
}

/** The auth service's Hono app with API, health, metrics and docs routes. */
export function createApp(deps: AppDeps): OpenAPIHono<AppEnv> {
  return createServiceApp(
    info,
    deps,
    authRoutes,
    deps.endpoints,
    // The events auth publishes, next to its OpenAPI document (ADR 0001).
    (app) => mountAsyncApi(app, asyncApiDocument(platformEvents, { service: "auth", version: deps.version })),
  );
}
