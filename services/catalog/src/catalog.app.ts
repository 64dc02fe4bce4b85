import type { OpenAPIHono } from "@hono/zod-openapi";
import { asyncApiDocument, mountAsyncApi, platformEvents } from "@shared/events";
import type { AppEnv } from "@shared/http";
import { createServiceApp, type ServiceAppOptions, serviceApiDocument } from "@shared/service";
import type { CatalogEndpoints } from "./catalog.endpoints.ts";
import { type CachePolicy, catalogRoutes } from "./catalog.routes.ts";

/** What the catalog HTTP app needs; catalog.module.ts builds it, tests build it with fakes. */
export interface AppDeps extends ServiceAppOptions {
  endpoints: CatalogEndpoints;
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

/** The OpenAPI document, from the routes' contracts alone (no service, no connections). */
export function createApiDocument(version: string): Record<string, unknown> {
  return serviceApiDocument(info, version, catalogRoutes(defaultCache));
}

/** The catalog service's Hono app with API, health, metrics and docs routes. */
export function createApp(deps: AppDeps): OpenAPIHono<AppEnv> {
  return createServiceApp(
    info,
    deps,
    catalogRoutes(deps.cache ?? defaultCache),
    deps.endpoints,
    // The events catalog publishes, next to its OpenAPI document (ADR 0001).
    (app) => mountAsyncApi(app, asyncApiDocument(platformEvents, { service: "catalog", version: deps.version })),
  );
}
