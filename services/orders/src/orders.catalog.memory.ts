import { AppError } from "@shared/errors";
import type { CatalogProduct, RequestMeta, StockLine } from "./orders.model.ts";
import type { CatalogClient } from "./orders.service.ts";

/**
 * A hand-written CatalogClient for service and route tests: a product table, reservations keyed by order
 * id (as catalog keeps them), a call log and an off switch (`down`, or `reserveDown` for reserve only).
 */
export class MemoryCatalog implements CatalogClient {
  readonly products = new Map<string, CatalogProduct>();
  readonly calls: { ids: readonly string[]; meta: RequestMeta }[] = [];
  /** Order id -> the lines it holds; an empty list is an order released before it held anything. */
  readonly reservations = new Map<string, { lines: StockLine[]; released: boolean }>();
  /** Order id -> when it was reserved (ms since the epoch, by `Date.now`). */
  readonly heldSince = new Map<string, number>();
  /** Orders marked live (`keep`): `held` leaves them out. */
  readonly kept = new Set<string>();
  down = false;
  reserveDown = false;

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

  async reserve(orderId: string, lines: readonly StockLine[], _meta: RequestMeta): Promise<void> {
    if (this.down || this.reserveDown) throw new AppError("unavailable", "catalog.stock.reserve is unavailable");
    const seen = this.reservations.get(orderId);
    if (seen?.released) throw new AppError("conflict", `the stock of order ${orderId} was released`);
    if (seen) return;
    const fields = lines.flatMap((l, i) => {
      const p = this.products.get(l.productId);
      return p?.active && p.stock >= l.quantity
        ? []
        : [{ path: `/lines/${i}/quantity`, message: `only ${p?.stock ?? 0} in stock` }];
    });
    if (fields.length) throw new AppError("conflict", "Some lines cannot be reserved", { fields });
    for (const l of lines) this.products.get(l.productId)!.stock -= l.quantity;
    this.reservations.set(orderId, { lines: lines.map((l) => ({ ...l })), released: false });
    this.heldSince.set(orderId, Date.now());
  }

  async release(orderId: string, _meta: RequestMeta): Promise<void> {
    if (this.down) throw new AppError("unavailable", "catalog.stock.release is unavailable");
    const seen = this.reservations.get(orderId);
    if (seen?.released) return;
    for (const l of seen?.lines ?? []) {
      const p = this.products.get(l.productId);
      if (p) p.stock += l.quantity;
    }
    this.reservations.set(orderId, { lines: seen?.lines ?? [], released: true });
  }

  async held(olderThanMs: number, after: string | null, limit: number, _meta: RequestMeta): Promise<string[]> {
    if (this.down) throw new AppError("unavailable", "catalog.stock.held is unavailable");
    const madeBy = Date.now() - olderThanMs;
    return [...this.reservations]
      .filter(([id, r]) => !r.released && !this.kept.has(id) && this.heldSince.get(id)! <= madeBy)
      .filter(([id]) => after === null || id > after)
      .map(([id]) => id)
      .sort()
      .slice(0, limit);
  }

  async keep(orderIds: readonly string[], _meta: RequestMeta): Promise<void> {
    if (this.down) throw new AppError("unavailable", "catalog.stock.keep is unavailable");
    for (const id of orderIds) if (this.reservations.get(id)?.released === false) this.kept.add(id);
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
