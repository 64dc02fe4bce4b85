import type { OpenAPIHono } from "@hono/zod-openapi";
import { asyncApiDocument, mountAsyncApi, platformEvents } from "@shared/events";
import type { AppEnv } from "@shared/http";
import { createServiceApp, type ServiceAppOptions, serviceApiDocument } from "@shared/service";
import { makeCatalogEndpoints } from "./catalog.endpoints.ts";
import { type CachePolicy, mountCatalogRoutes } from "./catalog.routes.ts";
import type { CatalogService } from "./catalog.service.ts";

/** What the catalog HTTP app needs; catalog.module.ts builds it, tests build it with fakes. */
export interface AppDeps extends ServiceAppOptions {
  catalog: CatalogService;
  /** Freshness granted to shared caches for public answers (default 30 s listings, 60 s items). */
  cache?: CachePolicy;
}

const defaultCache: CachePolicy = { listMaxAgeSec: 30, itemMaxAgeSec: 60 };

const info = {
  title: "catalog",
  description:
    "Products, prices and stock. Reads are public and cacheable (ETag, Cache-Control, If-None-Match); " +
    "writes need the admin role, forwarded by the gateway as X-User-Id and X-User-Roles.",
};

/** Builds the API routes alone, e.g. to generate the OpenAPI document without serving. */
export function createApiDocument(version: string): Record<string, unknown> {
  // Handlers are never called here, so the routes need no service.
  return serviceApiDocument(info, version, (app) => {
    const catalog = undefined as unknown as CatalogService;
    mountCatalogRoutes(app, catalog, makeCatalogEndpoints(catalog), defaultCache);
  });
}

/** The catalog service's Hono app with API, health, metrics and docs routes. */
export function createApp(deps: AppDeps): OpenAPIHono<AppEnv> {
  return createServiceApp(
    info,
    deps,
    (app) => {
      mountCatalogRoutes(app, deps.catalog, makeCatalogEndpoints(deps.catalog), deps.cache ?? defaultCache);
    },
    // The events catalog publishes, next to its OpenAPI document (ADR 0001).
    (app) => mountAsyncApi(app, asyncApiDocument(platformEvents, { service: "catalog", version: deps.version })),
  );
}
