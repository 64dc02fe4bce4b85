import { AppError } from "@shared/errors";
import type { NewProduct, Product, ProductChanges, ProductFilter } from "./catalog.model.ts";
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
}
