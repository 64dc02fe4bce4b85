import { beforeKey, type Database, executorOf, inTransaction, retryOnConnectionLoss, toAppError } from "@shared/db";
import { enqueueEvent } from "@shared/events/outbox.ts";
import { and, asc, desc, eq, inArray, lt, type SQL, sql } from "drizzle-orm";
import { orderCancelled, orderCancelledPayload, orderPlaced, orderPlacedPayload } from "./orders.events.ts";
import type { Order, OrderFilter, OrderLine, OrderStatus, PageCursor, RequestMeta } from "./orders.model.ts";
import { type OrderLineRow, type OrderRow, orderLines, orders, outbox } from "./orders.schema.ts";
import type { OrdersRepo } from "./orders.service.ts";

/** Row -> domain line. */
export function lineFromRow(row: OrderLineRow): OrderLine {
  return {
    productId: row.productId,
    sku: row.sku,
    name: row.name,
    quantity: row.quantity,
    unitPriceMinor: row.unitPriceMinor,
  };
}

/** Rows -> domain order: the only place that knows the tables' shape. */
export function orderFromRows(row: OrderRow, lines: readonly OrderLineRow[]): Order {
  return {
    id: row.id,
    userId: row.userId,
    status: row.status as OrderStatus,
    currency: row.currency,
    totalMinor: row.totalMinor,
    lines: [...lines].sort((a, b) => a.lineNo - b.lineNo).map(lineFromRow),
    createdAt: row.createdAt,
    updatedAt: row.updatedAt,
  };
}

/** Every effect of the repository's transactions is inside them: one that lost its connection before COMMIT runs again. */
const retryable = { retry: {} };

/** The PostgreSQL implementation of OrdersRepo. */
export class PgOrdersRepo implements OrdersRepo {
  constructor(private readonly database: Database) {}

  /** Joins the caller's transaction when there is one. */
  private get db() {
    return executorOf(this.database);
  }

  async insert(order: Order, meta?: RequestMeta): Promise<Order> {
    try {
      // The order, its lines and (when inserted as placed) its `orders.order.placed` outbox row commit together.
      await inTransaction(
        this.database,
        async (tx) => {
          await tx.insert(orders).values({
            id: order.id,
            userId: order.userId,
            status: order.status,
            currency: order.currency,
            totalMinor: order.totalMinor,
            createdAt: order.createdAt,
            updatedAt: order.updatedAt,
            stockReleased: false,
          });
          await tx.insert(orderLines).values(
            order.lines.map((line, lineNo) => ({
              orderId: order.id,
              lineNo,
              productId: line.productId,
              sku: line.sku,
              name: line.name,
              quantity: line.quantity,
              unitPriceMinor: line.unitPriceMinor,
            })),
          );
          if (order.status === "placed") await enqueueEvent(tx, outbox, orderPlaced, orderPlacedPayload(order), meta);
        },
        retryable,
      );
      return structuredClone(order);
    } catch (err) {
      throw toAppError(err) ?? err;
    }
  }

  get(id: string): Promise<Order | null> {
    return retryOnConnectionLoss(async () => {
      const [row] = await this.db.select().from(orders).where(eq(orders.id, id)).limit(1);
      if (!row) return null;
      return orderFromRows(row, await this.linesOf([id]));
    });
  }

  async updateStatus(
    id: string,
    change: (current: Order) => { status: OrderStatus; updatedAt: Date },
    meta?: RequestMeta,
  ): Promise<Order | null> {
    try {
      // The event a status change announces (placed, cancelled) commits with it.
      return await inTransaction(
        this.database,
        async (tx) => {
          const [row] = await tx.select().from(orders).where(eq(orders.id, id)).for("update").limit(1);
          if (!row) return null;
          const current = orderFromRows(row, await this.linesOf([id]));
          const next = change(current);
          const [updated] = await tx
            .update(orders)
            .set({ status: next.status, updatedAt: next.updatedAt })
            .where(eq(orders.id, id))
            .returning();
          const result = { ...current, status: updated!.status as OrderStatus, updatedAt: updated!.updatedAt };
          if (result.status !== current.status && result.status === "placed") {
            await enqueueEvent(tx, outbox, orderPlaced, orderPlacedPayload(result), meta);
          }
          if (result.status !== current.status && result.status === "cancelled") {
            await enqueueEvent(tx, outbox, orderCancelled, orderCancelledPayload(result), meta);
          }
          return result;
        },
        retryable,
      );
    } catch (err) {
      throw toAppError(err) ?? err;
    }
  }

  list(filter: OrderFilter, before: PageCursor | null, limit: number): Promise<Order[]> {
    return retryOnConnectionLoss(() => this.listOnce(filter, before, limit));
  }

  private async listOnce(filter: OrderFilter, before: PageCursor | null, limit: number): Promise<Order[]> {
    const where: (SQL | undefined)[] = [];
    if (filter.userId !== undefined) where.push(eq(orders.userId, filter.userId));
    if (filter.status !== undefined) where.push(eq(orders.status, filter.status));
    if (before) where.push(beforeKey(orders, before));
    const rows = await this.db
      .select()
      .from(orders)
      .where(and(...where))
      .orderBy(desc(orders.createdAt), desc(orders.id))
      .limit(limit);
    if (rows.length === 0) return [];
    const lines = await this.linesOf(rows.map((r) => r.id));
    const byOrder = Map.groupBy(lines, (l) => l.orderId);
    return rows.map((r) => orderFromRows(r, byOrder.get(r.id) ?? []));
  }

  async confirm(order: Order, updatedAt: Date, meta?: RequestMeta): Promise<Order | null> {
    try {
      return await inTransaction(
        this.database,
        async (tx) => {
          const [row] = await tx
            .update(orders)
            .set({ status: "placed", updatedAt })
            .where(and(eq(orders.id, order.id), eq(orders.status, "pending")))
            .returning({ id: orders.id });
          if (!row) return null;
          const placed: Order = { ...structuredClone(order), status: "placed", updatedAt };
          await enqueueEvent(tx, outbox, orderPlaced, orderPlacedPayload(placed), meta);
          return placed;
        },
        retryable,
      );
    } catch (err) {
      throw toAppError(err) ?? err;
    }
  }

  async stalePending(createdBefore: Date, limit: number): Promise<string[]> {
    const rows = await this.db
      .select({ id: orders.id })
      .from(orders)
      .where(and(eq(orders.status, "pending"), lt(orders.createdAt, createdBefore)))
      .orderBy(asc(orders.createdAt))
      .limit(limit);
    return rows.map((r) => r.id);
  }

  async unreleased(limit: number): Promise<string[]> {
    const rows = await this.db
      .select({ id: orders.id })
      .from(orders)
      .where(sql`not ${orders.stockReleased} and ${orders.status} in ('cancelled', 'rejected')`)
      .orderBy(asc(orders.createdAt))
      .limit(limit);
    return rows.map((r) => r.id);
  }

  async markStockReleased(id: string): Promise<void> {
    await this.db.update(orders).set({ stockReleased: true }).where(eq(orders.id, id));
  }

  async statusesOf(ids: readonly string[]): Promise<Map<string, OrderStatus>> {
    if (ids.length === 0) return new Map();
    const rows = await this.db
      .select({ id: orders.id, status: orders.status })
      .from(orders)
      .where(inArray(orders.id, [...ids]));
    return new Map(rows.map((r) => [r.id, r.status as OrderStatus]));
  }

  private linesOf(orderIds: readonly string[]): Promise<OrderLineRow[]> {
    return this.db
      .select()
      .from(orderLines)
      .where(inArray(orderLines.orderId, [...orderIds]))
      .orderBy(asc(orderLines.orderId), asc(orderLines.lineNo));
  }
}
