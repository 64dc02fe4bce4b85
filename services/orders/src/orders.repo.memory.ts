import { AppError } from "@shared/errors";
import type { Order, OrderFilter, OrderStatus, PageCursor } from "./orders.model.ts";
import type { OrdersRepo } from "./orders.service.ts";

const newestFirst = (a: Order, b: Order) =>
  b.createdAt.getTime() - a.createdAt.getTime() || (a.id < b.id ? 1 : a.id > b.id ? -1 : 0);

function isBefore(o: Order, c: PageCursor): boolean {
  const t = o.createdAt.getTime();
  const ct = c.createdAt.getTime();
  return t < ct || (t === ct && o.id < c.id);
}

/** An in-memory OrdersRepo for service tests; passes the same contract suite as the PostgreSQL one. */
export class MemoryOrdersRepo implements OrdersRepo {
  private readonly rows = new Map<string, Order>();

  /** Every stored order (for tests that check nothing was written). */
  get size(): number {
    return this.rows.size;
  }

  async insert(order: Order): Promise<Order> {
    if (this.rows.has(order.id)) throw new AppError("conflict", `order ${order.id} already exists`);
    const products = new Set(order.lines.map((l) => l.productId));
    if (products.size !== order.lines.length) throw new AppError("conflict", "an order lists a product twice");
    this.rows.set(order.id, structuredClone(order));
    return structuredClone(order);
  }

  async get(id: string): Promise<Order | null> {
    const o = this.rows.get(id);
    return o ? structuredClone(o) : null;
  }

  async updateStatus(
    id: string,
    change: (current: Order) => { status: OrderStatus; updatedAt: Date },
  ): Promise<Order | null> {
    const current = this.rows.get(id);
    if (!current) return null;
    const next = change(structuredClone(current));
    const updated = { ...current, status: next.status, updatedAt: next.updatedAt };
    this.rows.set(id, updated);
    return structuredClone(updated);
  }

  async list(filter: OrderFilter, before: PageCursor | null, limit: number): Promise<Order[]> {
    return [...this.rows.values()]
      .filter((o) => filter.userId === undefined || o.userId === filter.userId)
      .filter((o) => filter.status === undefined || o.status === filter.status)
      .filter((o) => !before || isBefore(o, before))
      .sort(newestFirst)
      .slice(0, limit)
      .map((o) => structuredClone(o));
  }
}
