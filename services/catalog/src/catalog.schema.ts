import { idempotencyKeysTable } from "@shared/idempotency/table.ts";
import { sql } from "drizzle-orm";
import {
  boolean,
  check,
  index,
  integer,
  jsonb,
  pgSchema,
  text,
  timestamp,
  uniqueIndex,
  uuid,
} from "drizzle-orm/pg-core";

/** The catalog service owns this PostgreSQL schema and nothing else. */
export const catalogSchema = pgSchema("catalog");

/**
 * Products. `version` starts at 1 and grows by one on every change: it is the optimistic-concurrency
 * token behind ETag / If-Match. Listings page by the primary key (uuid v7, so roughly creation order).
 * Timestamps keep milliseconds only, so values round-trip through a JS Date unchanged.
 */
export const products = catalogSchema.table(
  "products",
  {
    id: uuid("id").primaryKey(),
    sku: text("sku").notNull(),
    name: text("name").notNull(),
    description: text("description").notNull().default(""),
    priceMinor: integer("price_minor").notNull(),
    currency: text("currency").notNull(),
    stock: integer("stock").notNull().default(0),
    active: boolean("active").notNull().default(true),
    version: integer("version").notNull().default(1),
    createdAt: timestamp("created_at", { withTimezone: true, mode: "date", precision: 3 }).notNull().defaultNow(),
    updatedAt: timestamp("updated_at", { withTimezone: true, mode: "date", precision: 3 }).notNull().defaultNow(),
  },
  (t) => [
    uniqueIndex("products_sku_key").on(sql`lower(${t.sku})`),
    check("products_price_minor_check", sql`${t.priceMinor} >= 0`),
    check("products_stock_check", sql`${t.stock} >= 0`),
    check("products_currency_check", sql`${t.currency} ~ '^[A-Z]{3}$'`),
    check("products_version_check", sql`${t.version} >= 1`),
  ],
);

/** Answers to POST /products kept for retries that carry the same Idempotency-Key. */
export const idempotencyKeys = idempotencyKeysTable(catalogSchema);

/**
 * Stock held for orders, one row per order id: the key that makes reserving and releasing idempotent.
 * `held` rows took their lines' quantities off `products.stock`; `released` rows gave them back, or (with
 * no lines) mark an order released before any reservation arrived, so a late reserve is refused.
 * `kept_at` is set once orders said the order is live: `catalog.stock.held` lists only held rows without
 * it (through the partial index), so its pages hold the reservations orders has yet to look at.
 */
export const stockReservations = catalogSchema.table(
  "stock_reservations",
  {
    orderId: uuid("order_id").primaryKey(),
    status: text("status").notNull(),
    lines: jsonb("lines").$type<{ productId: string; quantity: number }[]>().notNull(),
    createdAt: timestamp("created_at", { withTimezone: true, mode: "date", precision: 3 }).notNull().defaultNow(),
    releasedAt: timestamp("released_at", { withTimezone: true, mode: "date", precision: 3 }),
    keptAt: timestamp("kept_at", { withTimezone: true, mode: "date", precision: 3 }),
  },
  (t) => [
    check("stock_reservations_status_check", sql`${t.status} in ('held', 'released')`),
    index("stock_reservations_unkept_idx").on(t.orderId).where(sql`${t.status} = 'held' and ${t.keptAt} is null`),
  ],
);

/** A products row as drizzle reads it; never leaves the repository. */
export type ProductRow = typeof products.$inferSelect;
/** A stock_reservations row as drizzle reads it; never leaves the repository. */
export type StockReservationRow = typeof stockReservations.$inferSelect;
