import type { OpenAPIHono } from "@hono/zod-openapi";
import { mountDocs, openApiDocument } from "@shared/docs";
import { asyncApiDocument, mountAsyncApi, platformEvents } from "@shared/events";
import { mountHealth, type ReadinessCheck } from "@shared/health";
import { type AppEnv, createHttpApp } from "@shared/http";
import type { Metrics } from "@shared/metrics";
import type { MiddlewareHandler } from "hono";
import pino, { type Logger } from "pino";
import { makeOrdersEndpoints, type OrdersEndpoints } from "./orders.endpoints.ts";
import { mountOrdersRoutes } from "./orders.routes.ts";
import type { OrdersService } from "./orders.service.ts";

/** What the orders HTTP app needs; server.ts builds it, tests build it with fakes. */
export interface AppDeps {
  endpoints: OrdersEndpoints;
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
  title: "orders",
  version,
  description: [
    "Orders placed at catalog's current prices; list, read and cancel. Identity arrives from the gateway as",
    "X-User-Id and X-User-Roles. An order the caller may not see answers 404, like one that does not exist.",
    "Lines the catalog refuses (unknown, inactive, short of stock, mixed currencies) answer 409 naming each line;",
    "a catalog that cannot answer in time answers 503 and nothing is written.",
  ].join(" "),
});

/** Builds the API routes alone, e.g. to generate the OpenAPI document without serving. */
export function createApiDocument(version: string): Record<string, unknown> {
  const app = createHttpApp({ logger: pino({ level: "silent" }) });
  // The document depends on route definitions only; handlers are never called here.
  mountOrdersRoutes(app, makeOrdersEndpoints(undefined as unknown as OrdersService));
  return openApiDocument(app, info(version));
}

/** The orders service's Hono app with API, health, metrics and docs routes. */
export function createApp(deps: AppDeps): OpenAPIHono<AppEnv> {
  const app = createHttpApp({
    logger: deps.logger,
    accessLogger: deps.accessLogger,
    identity: deps.identity,
    metrics: deps.metrics,
    bodyLimitBytes: deps.bodyLimitBytes,
  });
  mountOrdersRoutes(app, deps.endpoints);
  mountHealth(app, { checks: deps.readiness ?? {}, isDraining: deps.isDraining });
  if (deps.metrics) {
    const metrics = deps.metrics;
    app.get("/metrics", () => metrics.handler());
  }
  mountDocs(app, openApiDocument(app, info(deps.version)), info(deps.version));
  // The events orders publishes, next to its OpenAPI document (ADR 0001).
  // The kit types `app` as a plain Hono; ours carries AppEnv, which its handler never reads.
  mountAsyncApi(
    app as unknown as Parameters<typeof mountAsyncApi>[0],
    asyncApiDocument(platformEvents, { service: "orders", version: deps.version }),
  );
  return app;
}
