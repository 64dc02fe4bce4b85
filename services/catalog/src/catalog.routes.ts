import { createRoute, type OpenAPIHono, z } from "@hono/zod-openapi";
import { mountHttpEndpoint } from "@shared/endpoint";
import { AppError } from "@shared/errors";
import { type AppEnv, identityOf, problemResponses } from "@shared/http";
import type { MiddlewareHandler } from "hono";
import { bodyEtag, expectedVersionOf, ifNoneMatchHits, versionEtag } from "./catalog.caching.ts";
import {
  CreateProductBody,
  ListProductsQuery,
  ProductDto,
  ProductIdParams,
  ProductPageDto,
  toProductDto,
  toProductPageDto,
  UpdateProductBody,
} from "./catalog.contract.ts";
import type { CatalogEndpoints } from "./catalog.endpoints.ts";
import type { CatalogService } from "./catalog.service.ts";

/** How long shared caches (the gateway) may keep public answers. */
export interface CachePolicy {
  listMaxAgeSec: number;
  itemMaxAgeSec: number;
}

const identity = [{ gatewayIdentity: [] }];
const tags = ["products"];
const adminOnly = "private, no-store";

const cacheHeaders = z.object({
  ETag: z.string().openapi({ description: "strong validator; send it back in If-None-Match or If-Match" }),
  "Cache-Control": z.string().openapi({ description: `public, max-age=N for everyone; ${adminOnly} for admins` }),
  Vary: z.string().openapi({ description: "X-User-Roles: admins see inactive products" }),
});
const writeHeaders = z.object({ ETag: z.string(), "Cache-Control": z.string() });
const json = <T, H>(schema: T, description: string, headers: H) => ({
  description,
  headers,
  content: { "application/json": { schema } },
});
const notModified = { description: "Not modified: the If-None-Match ETag is current", headers: cacheHeaders };
const ifNoneMatch = z.object({
  "if-none-match": z
    .string()
    .max(1000)
    .optional()
    .openapi({ param: { name: "if-none-match", in: "header" } }),
});
const ifMatch = z.object({
  "if-match": z
    .string()
    .max(1000)
    .optional()
    .openapi({ param: { name: "if-match", in: "header" }, description: "apply only if the ETag is still current" }),
});
const jsonBody = <T>(schema: T) => ({ content: { "application/json": { schema } }, required: true });

const listProducts = createRoute({
  method: "get",
  path: "/products",
  tags,
  summary: "List products by id (oldest first), filtered, page by page",
  request: { query: ListProductsQuery, headers: ifNoneMatch },
  responses: { 200: json(ProductPageDto, "One page", cacheHeaders), 304: notModified, ...problemResponses(400, 403) },
});

const getProduct = createRoute({
  method: "get",
  path: "/products/{id}",
  tags,
  summary: "Get a product (inactive ones for admins only)",
  request: { params: ProductIdParams, headers: ifNoneMatch },
  responses: { 200: json(ProductDto, "The product", cacheHeaders), 304: notModified, ...problemResponses(400, 404) },
});

const createProduct = createRoute({
  method: "post",
  path: "/products",
  tags,
  summary: "Create a product (admin)",
  security: identity,
  request: { body: jsonBody(CreateProductBody) },
  responses: {
    201: json(ProductDto, "Created", writeHeaders),
    ...problemResponses(400, 401, 403, 409, 413, 415),
  },
});

const updateProduct = createRoute({
  method: "patch",
  path: "/products/{id}",
  tags,
  summary: "Change a product (admin); with If-Match only while unchanged",
  security: identity,
  request: { params: ProductIdParams, headers: ifMatch, body: jsonBody(UpdateProductBody) },
  responses: {
    200: json(ProductDto, "The changed product", writeHeaders),
    ...problemResponses(400, 401, 403, 404, 409, 412, 413, 415),
  },
});

const deactivateProduct = createRoute({
  method: "post",
  path: "/products/{id}/deactivate",
  tags,
  summary: "Deactivate a product (admin): hidden from the public, kept for orders",
  security: identity,
  request: { params: ProductIdParams, headers: ifMatch },
  responses: {
    200: json(ProductDto, "The deactivated product", writeHeaders),
    ...problemResponses(400, 401, 403, 404, 412),
  },
});

/**
 * Writes are for admins: checked before the body is validated, so a caller without the role learns
 * nothing about the rules (the service checks again, for every other transport).
 */
const adminWrites: MiddlewareHandler<AppEnv> = async (c, next) => {
  if (c.req.method !== "GET" && c.req.method !== "HEAD" && c.req.path !== "/products/batch-get") {
    const actor = identityOf(c);
    if (!actor) throw new AppError("unauthenticated", "This operation needs an authenticated caller");
    if (!actor.roles.includes("admin")) throw new AppError("permission_denied", "Only admins may change products");
  }
  await next();
};

/** HTTP transport of the catalog: validates, converts, calls the service, adds cache validators. */
export function mountCatalogRoutes(
  app: OpenAPIHono<AppEnv>,
  catalog: CatalogService,
  endpoints: CatalogEndpoints,
  cache: CachePolicy,
): void {
  app.use("/products", adminWrites);
  app.use("/products/*", adminWrites);

  const readHeaders = (admin: boolean, etag: string, maxAgeSec: number) => ({
    ETag: etag,
    "Cache-Control": admin ? adminOnly : `public, max-age=${maxAgeSec}`,
    Vary: "X-User-Roles",
  });
  const written = (p: { version: number }) => ({ ETag: versionEtag(p.version), "Cache-Control": "no-store" });

  // Same handler as the NATS endpoint; internal (the gateway does not route it), never cached.
  mountHttpEndpoint(app, endpoints.productsGet, {
    method: "post",
    path: "/products/batch-get",
    tags,
    headers: () => ({ "Cache-Control": "no-store" }),
  });

  app.openapi(listProducts, async (c) => {
    const actor = identityOf(c);
    const { cursor, limit, ids, active, currency, ...range } = c.req.valid("query");
    const idList = ids === undefined ? undefined : [...new Set(ids.toLowerCase().split(","))];
    const filter = {
      ...range,
      ...(idList !== undefined ? { ids: idList } : {}),
      ...(active !== undefined ? { active: active === "true" } : {}),
      ...(currency !== undefined ? { currency: currency.toUpperCase() } : {}),
    };
    const pageSize = limit ?? idList?.length ?? 20;
    const dto = toProductPageDto(await catalog.list(actor, filter, cursor, pageSize));
    const headers = readHeaders(catalog.isAdmin(actor), bodyEtag(JSON.stringify(dto)), cache.listMaxAgeSec);
    if (ifNoneMatchHits(c.req.valid("header")["if-none-match"], headers.ETag)) return c.body(null, 304, headers);
    return c.json(dto, 200, headers);
  });

  app.openapi(getProduct, async (c) => {
    const actor = identityOf(c);
    const product = await catalog.get(actor, c.req.valid("param").id);
    const headers = readHeaders(catalog.isAdmin(actor), versionEtag(product.version), cache.itemMaxAgeSec);
    if (ifNoneMatchHits(c.req.valid("header")["if-none-match"], headers.ETag)) return c.body(null, 304, headers);
    return c.json(toProductDto(product), 200, headers);
  });

  app.openapi(createProduct, async (c) => {
    const product = await catalog.create(identityOf(c), c.req.valid("json"));
    return c.json(toProductDto(product), 201, { ...written(product), Location: `/products/${product.id}` });
  });

  app.openapi(updateProduct, async (c) => {
    const expected = expectedVersionOf(c.req.valid("header")["if-match"]);
    const product = await catalog.update(identityOf(c), c.req.valid("param").id, c.req.valid("json"), expected);
    return c.json(toProductDto(product), 200, written(product));
  });

  app.openapi(deactivateProduct, async (c) => {
    const expected = expectedVersionOf(c.req.valid("header")["if-match"]);
    const product = await catalog.deactivate(identityOf(c), c.req.valid("param").id, expected);
    return c.json(toProductDto(product), 200, written(product));
  });
}
