import { implement } from "@shared/endpoint";
import { catalogProductsGet, toCatalogProductDto } from "./catalog.contract.ts";
import type { CatalogService } from "./catalog.service.ts";

/**
 * The catalog endpoints other services call, each served on HTTP and on the bus (NATS or in-process).
 * `catalog.products.get` needs no identity: orders calls it for whoever places the order.
 */
export function makeCatalogEndpoints(catalog: CatalogService) {
  return {
    productsGet: implement(catalogProductsGet, async (input) => {
      const { products, missing } = await catalog.getMany(input.ids);
      return { products: products.map(toCatalogProductDto), missing };
    }),
  };
}

/** The endpoints of the catalog service. */
export type CatalogEndpoints = ReturnType<typeof makeCatalogEndpoints>;
