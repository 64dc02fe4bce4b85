// API contracts of the catalog service that other services may call (versioned with the platform).
import { z } from "@hono/zod-openapi";
import { defineContract } from "../endpoint/contract.ts";

/** A product as other services see it: enough to price and check availability. */
export const CatalogProductDto = z
  .object({
    id: z.uuid(),
    sku: z.string(),
    name: z.string(),
    priceMinor: z.number().int().nonnegative().describe("price in minor units (cents)"),
    currency: z.string().length(3),
    stock: z.number().int().nonnegative(),
    active: z.boolean(),
  })
  .openapi("CatalogProduct");
export type CatalogProductDto = z.infer<typeof CatalogProductDto>;

/** `catalog.products.get`: many products by id at once; unknown ids are listed in `missing`. */
export const catalogProductsGet = defineContract({
  name: "catalog.products.get",
  summary: "Get several products by id",
  input: z.object({ ids: z.array(z.uuid()).min(1).max(100) }),
  output: z.object({ products: z.array(CatalogProductDto), missing: z.array(z.uuid()) }),
  errors: ["invalid_argument"],
  idempotent: true,
});
