import { AppError } from "@shared/errors";
import type { CatalogProduct, RequestMeta } from "./orders.model.ts";
import type { CatalogClient } from "./orders.service.ts";

/** A hand-written CatalogClient for service and route tests: a product table, a call log and an off switch. */
export class MemoryCatalog implements CatalogClient {
  readonly products = new Map<string, CatalogProduct>();
  readonly calls: { ids: readonly string[]; meta: RequestMeta }[] = [];
  down = false;

  constructor(products: readonly CatalogProduct[] = []) {
    for (const p of products) this.products.set(p.id, { ...p });
  }

  /** Adds or replaces a product. */
  put(product: CatalogProduct): void {
    this.products.set(product.id, { ...product });
  }

  async getProducts(ids: readonly string[], meta: RequestMeta) {
    this.calls.push({ ids, meta });
    if (this.down) throw new AppError("unavailable", "catalog.products.get is unavailable");
    const products = ids.flatMap((id) => {
      const p = this.products.get(id);
      return p ? [{ ...p }] : [];
    });
    return { products, missing: ids.filter((id) => !this.products.has(id)) };
  }
}

/** A product with sensible defaults. */
export function product(id: string, overrides: Partial<CatalogProduct> = {}): CatalogProduct {
  return {
    id,
    sku: `SKU-${id.slice(-4)}`,
    name: `Product ${id.slice(-4)}`,
    priceMinor: 1000,
    currency: "EUR",
    stock: 50,
    active: true,
    ...overrides,
  };
}
