import type { OpenAPIHono } from "@hono/zod-openapi";
import { mountDocs, openApiDocument } from "@shared/docs";
import { mountHealth, type ReadinessCheck } from "@shared/health";
import { type AppEnv, createHttpApp } from "@shared/http";
import type { Metrics } from "@shared/metrics";
import type { MiddlewareHandler } from "hono";
import pino, { type Logger } from "pino";
import { makeNotifierEndpoints, type NotifierEndpoints } from "./notifier.endpoints.ts";
import { mountNotifierRoutes } from "./notifier.routes.ts";
import type { NotifierService } from "./notifier.service.ts";

/** What the notifier HTTP app needs; server.ts builds it, tests build it with fakes. */
export interface AppDeps {
  endpoints: NotifierEndpoints;
  logger: Logger;
  accessLogger?: Logger;
  /** Verification of forwarded identity (defence in depth); absent means the gateway alone is trusted. */
  identity?: MiddlewareHandler;
  version: string;
  metrics?: Metrics;
  readiness?: Record<string, ReadinessCheck>;
  bodyLimitBytes?: number;
  isDraining?: () => boolean;
}

const info = (version: string) => ({
  title: "notifier",
  version,
  description: [
    "Notifications made from the shop's events (an order placed or cancelled, a user registered), one per",
    "event, consumed durably and exactly once into the database. Identity arrives from the gateway as",
    "X-User-Id and X-User-Roles; a user sees only their own notifications.",
  ].join(" "),
});

/** Builds the API routes alone, e.g. to generate the OpenAPI document without serving. */
export function createApiDocument(version: string): Record<string, unknown> {
  const app = createHttpApp({ logger: pino({ level: "silent" }) });
  // The document depends on route definitions only; handlers are never called here.
  mountNotifierRoutes(app, makeNotifierEndpoints(undefined as unknown as NotifierService));
  return openApiDocument(app, info(version));
}

/** The notifier service's Hono app with API, health, metrics and docs routes. */
export function createApp(deps: AppDeps): OpenAPIHono<AppEnv> {
  const app = createHttpApp({
    logger: deps.logger,
    accessLogger: deps.accessLogger,
    identity: deps.identity,
    metrics: deps.metrics,
    bodyLimitBytes: deps.bodyLimitBytes,
  });
  mountNotifierRoutes(app, deps.endpoints);
  mountHealth(app, { checks: deps.readiness ?? {}, isDraining: deps.isDraining });
  if (deps.metrics) {
    const metrics = deps.metrics;
    app.get("/metrics", () => metrics.handler());
  }
  mountDocs(app, openApiDocument(app, info(deps.version)), info(deps.version));
  return app;
}
