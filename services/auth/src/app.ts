import type { OpenAPIHono } from "@hono/zod-openapi";
import { mountDocs, openApiDocument } from "@shared/docs";
import { asyncApiDocument, mountAsyncApi, platformEvents } from "@shared/events";
import { mountHealth, type ReadinessCheck } from "@shared/health";
import { type AppEnv, createHttpApp } from "@shared/http";
import type { Metrics } from "@shared/metrics";
import type { MiddlewareHandler } from "hono";
import pino, { type Logger } from "pino";
import { type JwksSource, mountAuthRoutes } from "./auth.routes.ts";
import type { AuthService } from "./auth.service.ts";

/** What the auth HTTP app needs; server.ts builds it, tests build it with fakes. */
export interface AppDeps {
  auth: AuthService;
  keys: JwksSource;
  logger: Logger;
  accessLogger?: Logger;
  version: string;
  metrics?: Metrics;
  readiness?: Record<string, ReadinessCheck>;
  bodyLimitBytes?: number;
  isDraining?: () => boolean;
  /** Runs before the API routes, e.g. the kit's `verifyForwardedIdentity`. */
  identity?: MiddlewareHandler<AppEnv>;
}

const info = (version: string) => ({
  title: "auth",
  version,
  description:
    "Accounts, sessions and roles. Issues EdDSA access tokens (JWKS at /.well-known/jwks.json) and rotating refresh tokens. Admin operations read the gateway's X-User-Id and X-User-Roles.",
});

/** Builds the API routes alone, e.g. to generate the OpenAPI document without serving. */
export function createApiDocument(version: string): Record<string, unknown> {
  const app = createHttpApp({ logger: pino({ level: "silent" }) });
  // The document depends on route definitions only; handlers are never called here.
  mountAuthRoutes(app, undefined as unknown as AuthService, undefined as unknown as JwksSource);
  return openApiDocument(app, info(version));
}

/** The auth service's Hono app with API, health, metrics and docs routes. */
export function createApp(deps: AppDeps): OpenAPIHono<AppEnv> {
  const app = createHttpApp({
    logger: deps.logger,
    accessLogger: deps.accessLogger,
    metrics: deps.metrics,
    bodyLimitBytes: deps.bodyLimitBytes,
  });
  if (deps.identity) app.use("/auth/*", deps.identity);
  mountAuthRoutes(app, deps.auth, deps.keys);
  mountHealth(app, { checks: deps.readiness ?? {}, isDraining: deps.isDraining });
  if (deps.metrics) {
    const metrics = deps.metrics;
    app.get("/metrics", () => metrics.handler());
  }
  mountDocs(app, openApiDocument(app, info(deps.version)), info(deps.version));
  // The events auth publishes, next to its OpenAPI document (ADR 0001).
  // The kit types `app` as a plain Hono; ours carries AppEnv, which its handler never reads.
  mountAsyncApi(
    app as unknown as Parameters<typeof mountAsyncApi>[0],
    asyncApiDocument(platformEvents, { service: "auth", version: deps.version }),
  );
  return app;
}
