import type { OpenAPIHono } from "@hono/zod-openapi";
import { mountDocs, openApiDocument } from "@shared/docs";
import { asyncApiDocument, mountAsyncApi, platformEvents } from "@shared/events";
import { mountHealth, type ReadinessCheck } from "@shared/health";
import { type AppEnv, createHttpApp } from "@shared/http";
import type { Metrics } from "@shared/metrics";
import type { MiddlewareHandler } from "hono";
import pino, { type Logger } from "pino";
import { makeCatalogEndpoints } from "./catalog.endpoints.ts";
import { type CachePolicy, mountCatalogRoutes } from "./catalog.routes.ts";
import type { CatalogService } from "./catalog.service.ts";

/** What the catalog HTTP app needs; server.ts builds it, tests build it with fakes. */
export interface AppDeps {
  catalog: CatalogService;
  logger: Logger;
  accessLogger?: Logger;
  /** Verification of forwarded identity (defence in depth); absent means the gateway alone is trusted. */
  identity?: MiddlewareHandler;
  version: string;
  /** Freshness granted to shared caches for public answers (default 30 s listings, 60 s items). */
  cache?: CachePolicy;
  metrics?: Metrics;
  readiness?: Record<string, ReadinessCheck>;
  bodyLimitBytes?: number;
  isDraining?: () => boolean;
}

const defaultCache: CachePolicy = { listMaxAgeSec: 30, itemMaxAgeSec: 60 };

const info = (version: string) => ({
  title: "catalog",
  version,
  description:
    "Products, prices and stock. Reads are public and cacheable (ETag, Cache-Control, If-None-Match); " +
    "writes need the admin role, forwarded by the gateway as X-User-Id and X-User-Roles.",
});

/** Builds the API routes alone, e.g. to generate the OpenAPI document without serving. */
export function createApiDocument(version: string): Record<string, unknown> {
  const app = createHttpApp({ logger: pino({ level: "silent" }) });
  // The document depends on route definitions only; handlers are never called here.
  const catalog = undefined as unknown as CatalogService;
  mountCatalogRoutes(app, catalog, makeCatalogEndpoints(catalog), defaultCache);
  return openApiDocument(app, info(version));
}

/** The catalog service's Hono app with API, health, metrics and docs routes. */
export function createApp(deps: AppDeps): OpenAPIHono<AppEnv> {
  const app = createHttpApp({
    logger: deps.logger,
    accessLogger: deps.accessLogger,
    identity: deps.identity,
    metrics: deps.metrics,
    bodyLimitBytes: deps.bodyLimitBytes,
  });
  mountCatalogRoutes(app, deps.catalog, makeCatalogEndpoints(deps.catalog), deps.cache ?? defaultCache);
  mountHealth(app, { checks: deps.readiness ?? {}, isDraining: deps.isDraining });
  if (deps.metrics) {
    const metrics = deps.metrics;
    app.get("/metrics", () => metrics.handler());
  }
  mountDocs(app, openApiDocument(app, info(deps.version)), info(deps.version));
  // The events catalog publishes, next to its OpenAPI document (ADR 0001).
  // The kit types `app` as a plain Hono; ours carries AppEnv, which its handler never reads.
  mountAsyncApi(
    app as unknown as Parameters<typeof mountAsyncApi>[0],
    asyncApiDocument(platformEvents, { service: "catalog", version: deps.version }),
  );
  return app;
}
