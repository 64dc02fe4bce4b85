import { z } from "@hono/zod-openapi";
import {
  CatalogProductDto,
  catalogProductsGet,
  catalogStockHeld,
  catalogStockKeep,
  catalogStockRelease,
  catalogStockReserve,
  type StockReservationDto,
} from "@shared/contracts/catalog.ts";
import { pageDto, pageQuery, toPageDto } from "@shared/contracts/page.ts";
import { defineContract } from "@shared/endpoint";
import type { Page, Product, StockReservation } from "./catalog.model.ts";
import { isCurrencyCode } from "./catalog.service.ts";

export {
  CatalogProductDto,
  catalogProductsGet,
  catalogStockHeld,
  catalogStockKeep,
  catalogStockRelease,
  catalogStockReserve,
};

const maxInt4 = 2_147_483_647;
const uuidPattern = /^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$/;
const uuidExample = "0190d9a4-6b1e-7c3a-9f51-2b9d3c4e5f60";

/** A product as the HTTP API shows it. */
export const ProductDto = z
  .object({
    id: z.uuid(),
    sku: z.string(),
    name: z.string(),
    description: z.string(),
    priceMinor: z.number().int().nonnegative().describe("price in the currency's minor unit (cents)"),
    currency: z.string().length(3).describe("ISO 4217 code"),
    stock: z.number().int().nonnegative(),
    active: z.boolean(),
    version: z.number().int().positive().describe("grows by one on every change; the ETag is derived from it"),
    createdAt: z.iso.datetime(),
    updatedAt: z.iso.datetime(),
  })
  .openapi("Product");
export type ProductDto = z.infer<typeof ProductDto>;

const sku = z
  .string()
  .trim()
  .regex(/^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/, "1-64 letters, digits, '.', '_' or '-', starting alphanumeric")
  .openapi({ example: "CHAIR-RED-01" });
const name = z.string().trim().min(1).max(200);
const description = z.string().max(5000);
const priceMinor = z.number().int().min(0).max(maxInt4).openapi({ example: 1999 });
const currency = z
  .string()
  .refine(isCurrencyCode, "must be an upper-case ISO 4217 currency code, e.g. EUR")
  .openapi({ example: "EUR", pattern: "^[A-Z]{3}$" });
const stock = z.number().int().min(0).max(maxInt4);

/** Body of a product creation. */
export const CreateProductBody = z
  .strictObject({
    sku,
    name,
    description: description.optional(),
    priceMinor,
    currency,
    stock: stock.optional(),
    active: z.boolean().optional(),
  })
  .openapi("CreateProduct");

/** Body of a product update: any subset of the fields, at least one. */
export const UpdateProductBody = z
  .strictObject({
    sku: sku.optional(),
    name: name.optional(),
    description: description.optional(),
    priceMinor: priceMinor.optional(),
    currency: currency.optional(),
    stock: stock.optional(),
    active: z.boolean().optional(),
  })
  .openapi("UpdateProduct");

/** Path parameters naming one product. */
export const ProductIdParams = z.object({
  id: z.uuid().openapi({ param: { name: "id", in: "path" }, example: uuidExample }),
});

const queryParam = (name: string) => ({ param: { name, in: "query" as const } });
const price = z.coerce.number().int().min(0).max(maxInt4);

/** Query of the product listing. */
export const ListProductsQuery = z.object({
  cursor: pageQuery.cursor,
  limit: z.coerce
    .number()
    .int()
    .min(1)
    .max(100)
    .optional()
    .openapi({ ...queryParam("limit"), description: "1-100; default 20, or the number of `ids` when given" }),
  ids: z
    .string()
    .max(100 * 37)
    .refine((v) => {
      const list = v.split(",");
      return list.length <= 100 && list.every((id) => uuidPattern.test(id));
    }, "a comma-separated list of up to 100 product ids")
    .optional()
    .openapi({ ...queryParam("ids"), description: "only these products, e.g. an order's (comma-separated)" }),
  q: z
    .string()
    .trim()
    .min(1)
    .max(100)
    .optional()
    .openapi({ ...queryParam("q"), description: "case-insensitive substring of the name or the sku" }),
  active: z
    .enum(["true", "false"])
    .optional()
    .openapi({ ...queryParam("active"), description: "only admins may ask for inactive products" }),
  minPrice: price.optional().openapi({ ...queryParam("minPrice"), description: "inclusive, minor units" }),
  maxPrice: price.optional().openapi({ ...queryParam("maxPrice"), description: "inclusive, minor units" }),
  currency: z
    .string()
    .regex(/^[A-Za-z]{3}$/, "a 3-letter ISO 4217 code")
    .optional()
    .openapi(queryParam("currency")),
});

/** One page of products. */
export const ProductPageDto = pageDto(ProductDto, "ProductPage");

/** An If-Match value: the write applies only while the product's ETag is one of those named. */
const ifMatch = z.string().max(1000).optional().openapi({ description: "apply only if the ETag is still current" });

/** `catalog.products.list`: public listing (inactive products for admins only). */
export const catalogProductsList = defineContract({
  name: "catalog.products.list",
  summary: "List products by id (oldest first), filtered, page by page",
  input: ListProductsQuery,
  output: ProductPageDto,
  errors: ["invalid_argument", "permission_denied"],
  idempotent: true,
});

/** `catalog.products.getOne`: one product by id (inactive ones for admins only). */
export const catalogProductsGetOne = defineContract({
  name: "catalog.products.getOne",
  summary: "Get a product (inactive ones for admins only)",
  input: ProductIdParams,
  output: ProductDto,
  errors: ["invalid_argument", "not_found"],
  idempotent: true,
});

/** `catalog.products.create` (admin). */
export const catalogProductsCreate = defineContract({
  name: "catalog.products.create",
  summary: "Create a product (admin)",
  input: CreateProductBody,
  output: ProductDto,
  errors: ["invalid_argument", "unauthenticated", "permission_denied", "conflict"],
  idempotent: false,
});

/** `catalog.products.update` (admin): `changes` applied only while `ifMatch`, when given, is current. */
export const catalogProductsUpdate = defineContract({
  name: "catalog.products.update",
  summary: "Change a product (admin); with If-Match only while unchanged",
  input: z.object({ id: ProductIdParams.shape.id, ifMatch, changes: UpdateProductBody }),
  output: ProductDto,
  errors: ["invalid_argument", "unauthenticated", "permission_denied", "not_found", "conflict", "precondition_failed"],
  idempotent: false,
});

/** `catalog.products.deactivate` (admin): hidden from the public, kept for orders. */
export const catalogProductsDeactivate = defineContract({
  name: "catalog.products.deactivate",
  summary: "Deactivate a product (admin): hidden from the public, kept for orders",
  input: z.object({ id: ProductIdParams.shape.id, ifMatch }),
  output: ProductDto,
  errors: ["invalid_argument", "unauthenticated", "permission_denied", "not_found", "precondition_failed"],
  idempotent: false,
});

/** Domain -> HTTP DTO. */
export function toProductDto(p: Product): ProductDto {
  return {
    id: p.id,
    sku: p.sku,
    name: p.name,
    description: p.description,
    priceMinor: p.priceMinor,
    currency: p.currency,
    stock: p.stock,
    active: p.active,
    version: p.version,
    createdAt: p.createdAt.toISOString(),
    updatedAt: p.updatedAt.toISOString(),
  };
}

/** Domain page -> DTO page. */
export function toProductPageDto(page: Page<Product>): z.infer<typeof ProductPageDto> {
  return toPageDto(page, toProductDto);
}

/** Domain -> the DTO other services see through `catalog.products.get`. */
export function toCatalogProductDto(p: Product): CatalogProductDto {
  return {
    id: p.id,
    sku: p.sku,
    name: p.name,
    priceMinor: p.priceMinor,
    currency: p.currency,
    stock: p.stock,
    active: p.active,
  };
}

/** Domain reservation -> the DTO of `catalog.stock.reserve` and `catalog.stock.release`. */
export function toStockReservationDto(r: StockReservation): StockReservationDto {
  return { orderId: r.orderId, status: r.status, lines: r.lines.map((l) => ({ ...l })) };
}
