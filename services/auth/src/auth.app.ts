import type { OpenAPIHono } from "@hono/zod-openapi";
import { asyncApiDocument, mountAsyncApi, platformEvents } from "@shared/events";
import type { AppEnv } from "@shared/http";
import { createServiceApp, type ServiceAppOptions, serviceApiDocument } from "@shared/service";
import { type JwksSource, mountAuthRoutes } from "./auth.routes.ts";
import type { AuthService } from "./auth.service.ts";

/** What the auth HTTP app needs; auth.module.ts builds it, tests build it with fakes. */
export interface AppDeps extends ServiceAppOptions {
  auth: AuthService;
  keys: JwksSource;
}

const info = {
  title: "auth",
  description:
    "Accounts, sessions and roles. Issues EdDSA access tokens (JWKS at /.well-known/jwks.json) and rotating refresh tokens. Admin operations read the gateway's X-User-Id and X-User-Roles.",
};

/** Builds the API routes alone, e.g. to generate the OpenAPI document without serving. */
export function createApiDocument(version: string): Record<string, unknown> {
  // Handlers are never called here, so the routes need no service.
  return serviceApiDocument(info, version, (app) => {
    mountAuthRoutes(app, undefined as unknown as AuthService, undefined as unknown as JwksSource);
  });
}

/** The auth service's Hono app with API, health, metrics and docs routes. */
export function createApp(deps: AppDeps): OpenAPIHono<AppEnv> {
  return createServiceApp(
    info,
    deps,
    (app) => {
      mountAuthRoutes(app, deps.auth, deps.keys);
    },
    // The events auth publishes, next to its OpenAPI document (ADR 0001).
    (app) => mountAsyncApi(app, asyncApiDocument(platformEvents, { service: "auth", version: deps.version })),
  );
}
