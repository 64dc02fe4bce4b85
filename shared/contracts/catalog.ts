// API contracts of the catalog service that other services may call (versioned with the platform).
import { z } from "@hono/zod-openapi";
import { defineContract } from "../endpoint/contract.ts";

/** A product as other services see it: enough to price and check availability. */
export const CatalogProductDto = z
  .object({
    id: z.uuid(),
    sku: z.string(),
    name: z.string(),
    priceMinor: z.number().int().nonnegative().describe("price in minor units (cents)"),
    currency: z.string().length(3),
    stock: z.number().int().nonnegative(),
    active: z.boolean(),
  })
  .openapi("CatalogProduct");
export type CatalogProductDto = z.infer<typeof CatalogProductDto>;

/** `catalog.products.get`: many products by id at once; unknown ids are listed in `missing`. */
export const catalogProductsGet = defineContract({
  name: "catalog.products.get",
  summary: "Get several products by id",
  input: z.object({ ids: z.array(z.uuid()).min(1).max(100) }),
  output: z.object({ products: z.array(CatalogProductDto), missing: z.array(z.uuid()) }),
  errors: ["invalid_argument"],
  idempotent: true,
});

const orderId = z.uuid().describe("the order the stock is for: the reservation's idempotency key");

/** One line of a reservation: a product and how many of it. */
export const StockLineDto = z
  .object({ productId: z.uuid(), quantity: z.number().int().min(1).max(1000) })
  .openapi("StockLine");

/** The stock an order holds (`held`) or gave back (`released`; no lines when it never held any). */
export const StockReservationDto = z
  .object({ orderId, status: z.enum(["held", "released"]), lines: z.array(StockLineDto) })
  .openapi("StockReservation");
export type StockReservationDto = z.infer<typeof StockReservationDto>;

/**
 * `catalog.stock.reserve`: takes every line's quantity off stock, or none. Keyed by the order id: a retry
 * answers the same reservation without taking stock twice, and an order already released is refused
 * (`conflict`), as is a line that is unknown, inactive or short (its field named).
 */
export const catalogStockReserve = defineContract({
  name: "catalog.stock.reserve",
  summary: "Reserve stock for an order, every line or none (idempotent by order id)",
  input: z.object({ orderId, lines: z.array(StockLineDto).min(1).max(100) }),
  output: StockReservationDto,
  errors: ["invalid_argument", "conflict"],
  idempotent: true,
});

/**
 * `catalog.stock.release`: gives an order's held stock back, once. Releasing an order that holds nothing
 * records it as released, so a reserve still in flight for it takes nothing.
 */
export const catalogStockRelease = defineContract({
  name: "catalog.stock.release",
  summary: "Release the stock an order holds (idempotent by order id)",
  input: z.object({ orderId: orderId.openapi({ param: { name: "orderId", in: "path" } }) }),
  output: StockReservationDto,
  errors: ["invalid_argument"],
  idempotent: true,
});

/**
 * `catalog.stock.held`: the orders whose reservations have been `held` for longer than `olderThanMs`, by
 * order id, after `after`, leaving out those `catalog.stock.keep` marked. Orders compares them with its own
 * orders to release stock held for an order that never committed (its process died, or its transaction
 * rolled back, after catalog reserved).
 */
export const catalogStockHeld = defineContract({
  name: "catalog.stock.held",
  summary: "List orders whose stock has been held for longer than a given time, by order id",
  input: z.object({
    olderThanMs: z.number().int().min(0).max(2_147_483_647).describe("only reservations held at least this long"),
    after: z.uuid().optional().describe("the last order id of the previous page"),
    limit: z.number().int().min(1).max(1000),
  }),
  output: z.object({ orderIds: z.array(z.uuid()).describe("ascending; fewer than `limit` on the last page") }),
  errors: ["invalid_argument"],
  idempotent: true,
});

/**
 * `catalog.stock.keep`: orders says these orders are live, so `catalog.stock.held` stops listing their
 * reservations. Nothing else changes: the stock stays held, and `catalog.stock.release` still gives it back.
 * Ids that hold nothing are ignored.
 */
export const catalogStockKeep = defineContract({
  name: "catalog.stock.keep",
  summary: "Mark the reservations of live orders, so that the held listing leaves them out",
  input: z.object({ orderIds: z.array(z.uuid()).min(1).max(1000) }),
  output: z.object({ kept: z.number().int().nonnegative().describe("reservations newly marked") }),
  errors: ["invalid_argument"],
  idempotent: true,
});
