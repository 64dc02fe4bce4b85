import { AppError } from "@shared/errors";
import type {
  NewProduct,
  Product,
  ProductChanges,
  ProductFilter,
  ReleaseOutcome,
  ReserveOutcome,
  StockLine,
  StockReservation,
} from "./catalog.model.ts";
import type { CatalogRepo } from "./catalog.service.ts";

/** The same matching rules the PostgreSQL repository applies in SQL. */
export function matchesFilter(p: Product, f: ProductFilter): boolean {
  if (f.ids !== undefined && !f.ids.includes(p.id)) return false;
  if (f.active !== undefined && p.active !== f.active) return false;
  if (f.currency !== undefined && p.currency !== f.currency) return false;
  if (f.minPrice !== undefined && p.priceMinor < f.minPrice) return false;
  if (f.maxPrice !== undefined && p.priceMinor > f.maxPrice) return false;
  if (f.q !== undefined) {
    const q = f.q.toLowerCase();
    if (!p.name.toLowerCase().includes(q) && !p.sku.toLowerCase().includes(q)) return false;
  }
  return true;
}

/** An in-memory CatalogRepo for service and route tests; passes the same contract suite as PostgreSQL. */
export class MemoryCatalogRepo implements CatalogRepo {
  private readonly rows = new Map<string, Product>();
  private readonly reservations = new Map<string, StockReservation>();
  /** When each reservation was made (ms since the epoch, by `now`). */
  private readonly reservedAt = new Map<string, number>();
  /** Orders whose held reservations were marked kept. */
  private readonly kept = new Set<string>();
  constructor(private readonly now: () => Date = () => new Date()) {}

  private skuTaken(sku: string, exceptId?: string): boolean {
    const lower = sku.toLowerCase();
    return [...this.rows.values()].some((p) => p.id !== exceptId && p.sku.toLowerCase() === lower);
  }

  async create(input: NewProduct & { id: string }): Promise<Product> {
    if (this.rows.has(input.id) || this.skuTaken(input.sku)) {
      throw new AppError("conflict", `a product with sku ${input.sku} already exists`);
    }
    const at = this.now();
    const product: Product = {
      id: input.id,
      sku: input.sku,
      name: input.name,
      description: input.description ?? "",
      priceMinor: input.priceMinor,
      currency: input.currency,
      stock: input.stock ?? 0,
      active: input.active ?? true,
      version: 1,
      createdAt: at,
      updatedAt: at,
    };
    this.rows.set(product.id, product);
    return { ...product };
  }

  async get(id: string): Promise<Product | null> {
    const p = this.rows.get(id);
    return p ? { ...p } : null;
  }

  async getMany(ids: readonly string[]): Promise<Product[]> {
    return ids.flatMap((id) => {
      const p = this.rows.get(id);
      return p ? [{ ...p }] : [];
    });
  }

  async update(id: string, decide: (current: Product) => ProductChanges): Promise<Product | null> {
    const current = this.rows.get(id);
    if (!current) return null;
    const changes = decide({ ...current });
    const defined = Object.fromEntries(Object.entries(changes).filter(([, v]) => v !== undefined));
    if (Object.keys(defined).length === 0) return { ...current };
    if (changes.sku !== undefined && this.skuTaken(changes.sku, id)) {
      throw new AppError("conflict", `a product with sku ${changes.sku} already exists`);
    }
    const next: Product = { ...current, ...defined, version: current.version + 1, updatedAt: this.now() };
    this.rows.set(id, next);
    return { ...next };
  }

  async list(filter: ProductFilter, afterId: string | null, limit: number): Promise<Product[]> {
    return [...this.rows.values()]
      .filter((p) => (afterId === null || p.id > afterId) && matchesFilter(p, filter))
      .sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0))
      .slice(0, limit)
      .map((p) => ({ ...p }));
  }

  async reserve(orderId: string, lines: readonly StockLine[]): Promise<ReserveOutcome> {
    const seen = this.reservations.get(orderId);
    if (seen) {
      const reservation = structuredClone(seen);
      return reservation.status === "held"
        ? { kind: "held", reservation, changed: [] }
        : { kind: "released", reservation };
    }
    const holdable = lines.every((l) => {
      const p = this.rows.get(l.productId);
      return p !== undefined && p.active && p.stock >= l.quantity;
    });
    if (!holdable) return { kind: "short", products: await this.getMany(lines.map((l) => l.productId)) };
    const reservation: StockReservation = {
      orderId,
      status: "held",
      lines: lines.map((l) => ({ productId: l.productId, quantity: l.quantity })),
    };
    this.reservations.set(orderId, structuredClone(reservation));
    this.reservedAt.set(orderId, this.now().getTime());
    return { kind: "held", reservation, changed: lines.map((l) => this.moveStock(l.productId, -l.quantity)!) };
  }

  async release(orderId: string): Promise<ReleaseOutcome> {
    const seen = this.reservations.get(orderId);
    if (seen?.status === "released") return { reservation: structuredClone(seen), changed: [] };
    if (!seen) {
      const tombstone: StockReservation = { orderId, status: "released", lines: [] };
      this.reservations.set(orderId, tombstone);
      return { reservation: structuredClone(tombstone), changed: [] };
    }
    seen.status = "released";
    const changed = seen.lines.flatMap((l) => this.moveStock(l.productId, l.quantity) ?? []);
    return { reservation: structuredClone(seen), changed };
  }

  async heldOrders(olderThanMs: number, afterId: string | null, limit: number): Promise<string[]> {
    const madeBy = this.now().getTime() - olderThanMs;
    return [...this.reservations.values()]
      .filter((r) => r.status === "held" && !this.kept.has(r.orderId) && this.reservedAt.get(r.orderId)! <= madeBy)
      .map((r) => r.orderId)
      .filter((id) => afterId === null || id > afterId)
      .sort()
      .slice(0, limit);
  }

  async keep(orderIds: readonly string[]): Promise<number> {
    let kept = 0;
    for (const id of new Set(orderIds)) {
      if (this.reservations.get(id)?.status !== "held" || this.kept.has(id)) continue;
      this.kept.add(id);
      kept++;
    }
    return kept;
  }

  private moveStock(id: string, by: number): Product | undefined {
    const current = this.rows.get(id);
    if (!current) return undefined;
    const next = { ...current, stock: current.stock + by, version: current.version + 1, updatedAt: this.now() };
    this.rows.set(id, next);
    return { ...next };
  }
}
