import { AppError } from "@shared/errors";
import { compareKeys } from "@shared/pagination";
import type { Order, OrderFilter, OrderStatus, PageCursor } from "./orders.model.ts";
import type { OrdersRepo } from "./orders.service.ts";

/** An in-memory OrdersRepo for service tests; passes the same contract suite as the PostgreSQL one. */
export class MemoryOrdersRepo implements OrdersRepo {
  private readonly rows = new Map<string, Order>();
  /** Ids of orders for which catalog may still hold stock. */
  private readonly holding = new Set<string>();

  /** Every stored order (for tests that check nothing was written). */
  get size(): number {
    return this.rows.size;
  }

  async insert(order: Order): Promise<Order> {
    if (this.rows.has(order.id)) throw new AppError("conflict", `order ${order.id} already exists`);
    const products = new Set(order.lines.map((l) => l.productId));
    if (products.size !== order.lines.length) throw new AppError("conflict", "an order lists a product twice");
    this.rows.set(order.id, structuredClone(order));
    this.holding.add(order.id);
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
      .filter((o) => !before || compareKeys(o, before) < 0)
      .sort((a, b) => compareKeys(b, a))
      .slice(0, limit)
      .map((o) => structuredClone(o));
  }

  async confirm(order: Order, updatedAt: Date): Promise<Order | null> {
    const current = this.rows.get(order.id);
    if (current?.status !== "pending") return null;
    const placed: Order = { ...current, status: "placed", updatedAt };
    this.rows.set(order.id, placed);
    return structuredClone(placed);
  }

  async stalePending(createdBefore: Date, limit: number): Promise<string[]> {
    return [...this.rows.values()]
      .filter((o) => o.status === "pending" && o.createdAt < createdBefore)
      .sort((a, b) => a.createdAt.getTime() - b.createdAt.getTime())
      .slice(0, limit)
      .map((o) => o.id);
  }

  async unreleased(limit: number): Promise<string[]> {
    return [...this.rows.values()]
      .filter((o) => this.holding.has(o.id) && (o.status === "cancelled" || o.status === "rejected"))
      .sort((a, b) => a.createdAt.getTime() - b.createdAt.getTime())
      .slice(0, limit)
      .map((o) => o.id);
  }

  async markStockReleased(id: string): Promise<void> {
    this.holding.delete(id);
  }

  async statusesOf(ids: readonly string[]): Promise<Map<string, OrderStatus>> {
    return new Map(ids.flatMap((id) => (this.rows.has(id) ? [[id, this.rows.get(id)!.status] as const] : [])));
  }
}
