import { z } from "@hono/zod-openapi";
import { type CallContext, httpRoute } from "@shared/endpoint";
import { isAdmin } from "@shared/identity";
import { bodyEtag, versionEtag } from "./catalog.caching.ts";
import {
  catalogProductsCreate,
  catalogProductsDeactivate,
  catalogProductsGet,
  catalogProductsGetOne,
  catalogProductsList,
  catalogProductsUpdate,
  catalogStockRelease,
  catalogStockReserve,
} from "./catalog.contract.ts";
import { requireAdmin } from "./catalog.service.ts";

/** How long shared caches (the gateway) may keep public answers. */
export interface CachePolicy {
  listMaxAgeSec: number;
  itemMaxAgeSec: number;
}

const tags = ["products"];
const stockTags = ["stock"];
const adminOnly = "private, no-store";

const cacheHeaders = z.object({
  ETag: z.string().openapi({ description: "strong validator; send it back in If-None-Match or If-Match" }),
  "Cache-Control": z.string().openapi({ description: `public, max-age=N for everyone; ${adminOnly} for admins` }),
  Vary: z.string().openapi({ description: "X-User-Roles: admins see inactive products" }),
});
const writeHeaders = z.object({ ETag: z.string(), "Cache-Control": z.string() });

/** Public reads: cacheable by everyone, but admins see more, so their answers stay private. */
const readHeaders = (ctx: CallContext, etag: string, maxAgeSec: number) => ({
  ETag: etag,
  "Cache-Control": isAdmin(ctx.identity) ? adminOnly : `public, max-age=${maxAgeSec}`,
  Vary: "X-User-Roles",
});
const written = (p: { version: number }) => ({ ETag: versionEtag(p.version), "Cache-Control": "no-store" });

/**
 * Writes are for admins: checked before the body is validated, so a caller without the role learns
 * nothing about the rules (the service checks again, for every other transport).
 */
const admins = { authenticated: true, authorize: (ctx: CallContext) => requireAdmin(ctx.identity) } as const;

/** HTTP transport of the catalog endpoints, keyed like them: reads carry cache validators, writes need admins. */
export function catalogRoutes(cache: CachePolicy) {
  return {
    // Same handler as the NATS endpoint; internal (the gateway does not route it), never cached.
    productsGet: httpRoute(catalogProductsGet, {
      method: "post",
      path: "/products/batch-get",
      tags,
      headers: () => ({ "Cache-Control": "no-store" }),
    }),
    list: httpRoute(catalogProductsList, {
      method: "get",
      path: "/products",
      tags,
      query: Object.keys(catalogProductsList.input.shape),
      description: "One page",
      responseHeaders: cacheHeaders,
      notModified: true,
      headers: (page, ctx) => readHeaders(ctx, bodyEtag(JSON.stringify(page)), cache.listMaxAgeSec),
    }),
    get: httpRoute(catalogProductsGetOne, {
      method: "get",
      path: "/products/{id}",
      tags,
      params: ["id"],
      description: "The product",
      responseHeaders: cacheHeaders,
      notModified: true,
      headers: (product, ctx) => readHeaders(ctx, versionEtag(product.version), cache.itemMaxAgeSec),
    }),
    create: httpRoute(catalogProductsCreate, {
      ...admins,
      method: "post",
      path: "/products",
      tags,
      status: 201,
      idempotencyKey: true,
      description: "Created",
      responseHeaders: writeHeaders,
      headers: (product) => ({ ...written(product), Location: `/products/${product.id}` }),
    }),
    update: httpRoute(catalogProductsUpdate, {
      ...admins,
      method: "patch",
      path: "/products/{id}",
      tags,
      params: ["id"],
      requestHeaders: { ifMatch: "if-match" },
      body: "changes",
      description: "The changed product",
      responseHeaders: writeHeaders,
      headers: written,
    }),
    deactivate: httpRoute(catalogProductsDeactivate, {
      ...admins,
      method: "post",
      path: "/products/{id}/deactivate",
      tags,
      params: ["id"],
      requestHeaders: { ifMatch: "if-match" },
      body: false,
      description: "The deactivated product",
      responseHeaders: writeHeaders,
      headers: written,
    }),
    // Internal, like batch-get: orders reserves over the bus; over HTTP only admins (repairs, tests).
    stockReserve: httpRoute(catalogStockReserve, {
      ...admins,
      method: "post",
      path: "/stock/reservations",
      tags: stockTags,
      description: "The order's reservation (the same one again on a retry)",
      headers: () => ({ "Cache-Control": "no-store" }),
    }),
    stockRelease: httpRoute(catalogStockRelease, {
      ...admins,
      method: "post",
      path: "/stock/reservations/{orderId}/release",
      tags: stockTags,
      params: ["orderId"],
      body: false,
      description: "The order's reservation, released",
      headers: () => ({ "Cache-Control": "no-store" }),
    }),
  };
}
