import { outboxTable } from "@shared/events/tables.ts";
import { idempotencyKeysTable } from "@shared/idempotency/table.ts";
import { sql } from "drizzle-orm";
import {
  bigint,
  boolean,
  char,
  check,
  foreignKey,
  index,
  integer,
  pgSchema,
  primaryKey,
  text,
  timestamp,
  unique,
  uuid,
} from "drizzle-orm/pg-core";

/** The orders service owns this PostgreSQL schema and nothing else. */
export const ordersSchema = pgSchema("orders");

/** Orders: who placed them, their status, and the total at the prices they were placed at. Timestamps keep
 * milliseconds only, so a cursor made from a JS Date matches the stored value exactly. Amounts are minor
 * units in bigint, read back as JS numbers (the service refuses totals beyond 2^53). */
export const orders = ordersSchema.table(
  "orders",
  {
    id: uuid("id").primaryKey(),
    userId: uuid("user_id").notNull(),
    status: text("status").notNull(),
    currency: char("currency", { length: 3 }).notNull(),
    totalMinor: bigint("total_minor", { mode: "number" }).notNull(),
    createdAt: timestamp("created_at", { withTimezone: true, mode: "date", precision: 3 }).notNull(),
    updatedAt: timestamp("updated_at", { withTimezone: true, mode: "date", precision: 3 }).notNull(),
    // False while catalog may hold stock for the order (written false on insert; the default covers
    // orders placed before reservations existed, which hold none).
    stockReleased: boolean("stock_released").notNull().default(true),
  },
  (t) => [
    check(
      "orders_status_check",
      sql`${t.status} in ('pending', 'placed', 'paid', 'shipped', 'delivered', 'cancelled', 'rejected')`,
    ),
    check("orders_total_check", sql`${t.totalMinor} >= 0`),
    index("orders_user_created_idx").on(t.userId, t.createdAt.desc(), t.id.desc()),
    index("orders_created_idx").on(t.createdAt.desc(), t.id.desc()),
    // What the reservation sweeper looks for: placements left pending, and ended orders still holding stock.
    index("orders_stock_unsettled_idx")
      .on(t.createdAt)
      .where(sql`${t.status} = 'pending' or (not ${t.stockReleased} and ${t.status} in ('cancelled', 'rejected'))`),
  ],
);

/** The lines of an order, priced when it was placed; written once, with the order. */
export const orderLines = ordersSchema.table(
  "order_lines",
  {
    orderId: uuid("order_id").notNull(),
    lineNo: integer("line_no").notNull(),
    productId: uuid("product_id").notNull(),
    sku: text("sku").notNull(),
    name: text("name").notNull(),
    quantity: integer("quantity").notNull(),
    unitPriceMinor: bigint("unit_price_minor", { mode: "number" }).notNull(),
  },
  (t) => [
    primaryKey({ name: "order_lines_pkey", columns: [t.orderId, t.lineNo] }),
    foreignKey({ name: "order_lines_order_fk", columns: [t.orderId], foreignColumns: [orders.id] }).onDelete("cascade"),
    unique("order_lines_product_key").on(t.orderId, t.productId),
    check("order_lines_quantity_check", sql`${t.quantity} between 1 and 1000`),
    check("order_lines_price_check", sql`${t.unitPriceMinor} >= 0`),
  ],
);

/** Events committed with the order changes they announce; the relay publishes them to JetStream. */
export const outbox = outboxTable(ordersSchema);

/** Answers to POST /orders kept for retries that carry the same Idempotency-Key. */
export const idempotencyKeys = idempotencyKeysTable(ordersSchema);

/** An orders row as drizzle reads it; never leaves the repository. */
export type OrderRow = typeof orders.$inferSelect;
/** An order_lines row as drizzle reads it; never leaves the repository. */
export type OrderLineRow = typeof orderLines.$inferSelect;
