import { type Database, executorOf, inTransaction, pgErrorOf, toAppError } from "@shared/db";
import { AppError } from "@shared/errors";
import { and, asc, eq, gt, gte, ilike, inArray, isNull, lte, or, type SQL, sql } from "drizzle-orm";
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
import { type ProductRow, products, type StockReservationRow, stockReservations } from "./catalog.schema.ts";
import type { CatalogRepo } from "./catalog.service.ts";

/** Row -> domain: the only place that knows the table's shape. */
export function productFromRow(row: ProductRow): Product {
  return {
    id: row.id,
    sku: row.sku,
    name: row.name,
    description: row.description,
    priceMinor: row.priceMinor,
    currency: row.currency,
    stock: row.stock,
    active: row.active,
    version: row.version,
    createdAt: row.createdAt,
    updatedAt: row.updatedAt,
  };
}

/** Row -> domain reservation. */
function reservationFromRow(row: StockReservationRow): StockReservation {
  return { orderId: row.orderId, status: row.status as StockReservation["status"], lines: row.lines };
}

/** Lines in product id order: every transaction locks products in the same order, so none deadlock. */
function inLockOrder(lines: readonly StockLine[]): StockLine[] {
  return [...lines].sort((a, b) => (a.productId < b.productId ? -1 : a.productId > b.productId ? 1 : 0));
}

/** Thrown inside a reserve transaction to roll it back when a line cannot be held. */
class ShortOfStock extends Error {}

/** `%q%` for ILIKE with the pattern characters of `q` taken literally. */
function containsPattern(q: string): string {
  return `%${q.replace(/[\\%_]/g, (c) => `\\${c}`)}%`;
}

function whereOf(filter: ProductFilter, afterId: string | null): SQL | undefined {
  const conditions: (SQL | undefined)[] = [];
  if (afterId !== null) conditions.push(gt(products.id, afterId));
  if (filter.ids !== undefined) conditions.push(inArray(products.id, [...filter.ids]));
  if (filter.active !== undefined) conditions.push(eq(products.active, filter.active));
  if (filter.currency !== undefined) conditions.push(eq(products.currency, filter.currency));
  if (filter.minPrice !== undefined) conditions.push(gte(products.priceMinor, filter.minPrice));
  if (filter.maxPrice !== undefined) conditions.push(lte(products.priceMinor, filter.maxPrice));
  if (filter.q !== undefined) {
    const pattern = containsPattern(filter.q);
    conditions.push(or(ilike(products.name, pattern), ilike(products.sku, pattern)));
  }
  return conditions.length ? and(...conditions) : undefined;
}

/** A stock change as a product update: the version grows, so ETags and caches see it. */
function stockMove(by: number) {
  return {
    stock: sql`${products.stock} + ${by}`,
    version: sql`${products.version} + 1`,
    updatedAt: sql`now()`,
  };
}

/** The PostgreSQL implementation of CatalogRepo. */
export class PgCatalogRepo implements CatalogRepo {
  // Named prepared statements for the hot reads: orders calls getMany on every order, and drizzle sends
  // ad-hoc queries unprepared (parsed and planned each time). `= any($1)` keeps one statement for any
  // number of ids, where `in ($1, $2, ...)` would be a new statement per count.
  private readonly byId;
  private readonly byIds;

  constructor(private readonly database: Database) {
    this.byId = database.db
      .select()
      .from(products)
      .where(eq(products.id, sql.placeholder("id")))
      .limit(1)
      .prepare("catalog_products_get_by_id");
    this.byIds = database.db
      .select()
      .from(products)
      .where(sql`${products.id} = any(${sql.placeholder("ids")}::uuid[])`)
      .prepare("catalog_products_get_by_ids");
  }

  /** Joins the caller's transaction when there is one. */
  private get db() {
    return executorOf(this.database);
  }

  private get inTx(): boolean {
    return this.database.txContext.getStore() !== undefined;
  }

  async create(input: NewProduct & { id: string }): Promise<Product> {
    try {
      const [row] = await this.db
        .insert(products)
        .values({
          id: input.id,
          sku: input.sku,
          name: input.name,
          description: input.description ?? "",
          priceMinor: input.priceMinor,
          currency: input.currency,
          stock: input.stock ?? 0,
          active: input.active ?? true,
        })
        .returning();
      return productFromRow(row!);
    } catch (err) {
      throw this.translate(err, input.sku);
    }
  }

  async get(id: string): Promise<Product | null> {
    try {
      const [row] = this.inTx
        ? await this.db.select().from(products).where(eq(products.id, id)).limit(1)
        : await this.byId.execute({ id });
      return row ? productFromRow(row) : null;
    } catch (err) {
      throw this.translate(err, undefined);
    }
  }

  async getMany(ids: readonly string[]): Promise<Product[]> {
    if (ids.length === 0) return [];
    try {
      const rows = this.inTx
        ? await this.db
            .select()
            .from(products)
            .where(inArray(products.id, [...ids]))
        : await this.byIds.execute({ ids: [...ids] });
      return rows.map(productFromRow);
    } catch (err) {
      // A database that cannot be reached is `unavailable`, which callers' breakers and retries act on.
      throw this.translate(err, undefined);
    }
  }

  async update(id: string, decide: (current: Product) => ProductChanges): Promise<Product | null> {
    try {
      return await inTransaction(this.database, async (tx) => {
        const [row] = await tx.select().from(products).where(eq(products.id, id)).for("update");
        if (!row) return null;
        const current = productFromRow(row);
        const changes = Object.fromEntries(Object.entries(decide(current)).filter(([, v]) => v !== undefined));
        if (Object.keys(changes).length === 0) return current;
        const [updated] = await tx
          .update(products)
          .set({ ...changes, version: sql`${products.version} + 1`, updatedAt: sql`now()` })
          .where(eq(products.id, id))
          .returning();
        return productFromRow(updated!);
      });
    } catch (err) {
      throw this.translate(err, undefined);
    }
  }

  async list(filter: ProductFilter, afterId: string | null, limit: number): Promise<Product[]> {
    try {
      const rows = await this.db
        .select()
        .from(products)
        .where(whereOf(filter, afterId))
        .orderBy(asc(products.id))
        .limit(limit);
      return rows.map(productFromRow);
    } catch (err) {
      throw this.translate(err, undefined);
    }
  }

  async reserve(orderId: string, lines: readonly StockLine[]): Promise<ReserveOutcome> {
    try {
      return await inTransaction(this.database, async (tx): Promise<ReserveOutcome> => {
        // The order id is the key: a concurrent reserve of the same order waits here for this one.
        const [created] = await tx
          .insert(stockReservations)
          .values({
            orderId,
            status: "held",
            lines: lines.map((l) => ({ productId: l.productId, quantity: l.quantity })),
          })
          .onConflictDoNothing()
          .returning();
        if (!created) {
          const [seen] = await tx.select().from(stockReservations).where(eq(stockReservations.orderId, orderId));
          const reservation = reservationFromRow(seen!);
          return reservation.status === "held"
            ? { kind: "held", reservation, changed: [] }
            : { kind: "released", reservation };
        }
        const changed: Product[] = [];
        for (const line of inLockOrder(lines)) {
          // The row lock serialises concurrent reservations; the condition is re-checked once it is ours.
          const [row] = await tx
            .update(products)
            .set(stockMove(-line.quantity))
            .where(and(eq(products.id, line.productId), eq(products.active, true), gte(products.stock, line.quantity)))
            .returning();
          if (!row) throw new ShortOfStock();
          changed.push(productFromRow(row));
        }
        return { kind: "held", reservation: reservationFromRow(created), changed };
      });
    } catch (err) {
      if (!(err instanceof ShortOfStock)) throw this.translate(err, undefined);
    }
    return { kind: "short", products: await this.getMany(lines.map((l) => l.productId)) };
  }

  async release(orderId: string): Promise<ReleaseOutcome> {
    try {
      return await inTransaction(this.database, async (tx) => {
        // Two rounds at most: a reserve of this order committing while we record it released makes the
        // tombstone insert a no-op, and the second round releases what that reserve held.
        for (let round = 0; round < 2; round++) {
          const [held] = await tx
            .update(stockReservations)
            .set({ status: "released", releasedAt: sql`now()` })
            .where(and(eq(stockReservations.orderId, orderId), eq(stockReservations.status, "held")))
            .returning();
          if (held) {
            const changed: Product[] = [];
            for (const line of inLockOrder(held.lines)) {
              const [row] = await tx
                .update(products)
                .set(stockMove(line.quantity))
                .where(eq(products.id, line.productId))
                .returning();
              if (row) changed.push(productFromRow(row));
            }
            return { reservation: reservationFromRow(held), changed };
          }
          const [tombstone] = await tx
            .insert(stockReservations)
            .values({ orderId, status: "released", lines: [], releasedAt: sql`now()` })
            .onConflictDoNothing()
            .returning();
          if (tombstone) return { reservation: reservationFromRow(tombstone), changed: [] };
          const [seen] = await tx.select().from(stockReservations).where(eq(stockReservations.orderId, orderId));
          if (seen?.status === "released") return { reservation: reservationFromRow(seen), changed: [] };
        }
        throw new Error(`order ${orderId}: reservation neither held nor released after two rounds`);
      });
    } catch (err) {
      throw this.translate(err, undefined);
    }
  }

  async heldOrders(olderThanMs: number, afterId: string | null, limit: number): Promise<string[]> {
    const r = stockReservations;
    try {
      const rows = await this.db
        .select({ orderId: r.orderId })
        .from(r)
        .where(
          and(
            eq(r.status, "held"),
            isNull(r.keptAt),
            sql`${r.createdAt} <= now() - ${olderThanMs} * interval '1 millisecond'`,
            afterId === null ? undefined : gt(r.orderId, afterId),
          ),
        )
        .orderBy(asc(r.orderId))
        .limit(limit);
      return rows.map((row) => row.orderId);
    } catch (err) {
      throw this.translate(err, undefined);
    }
  }

  async keep(orderIds: readonly string[]): Promise<number> {
    const r = stockReservations;
    try {
      const kept = await this.db
        .update(r)
        .set({ keptAt: sql`now()` })
        .where(and(inArray(r.orderId, [...orderIds]), eq(r.status, "held"), isNull(r.keptAt)))
        .returning({ orderId: r.orderId });
      return kept.length;
    } catch (err) {
      throw this.translate(err, undefined);
    }
  }

  private translate(err: unknown, sku: string | undefined): unknown {
    if (err instanceof AppError) return err;
    const pg = pgErrorOf(err);
    if (pg?.code === "23505" && pg.constraint === "products_sku_key") {
      return new AppError("conflict", sku ? `a product with sku ${sku} already exists` : "this sku is taken", {
        cause: err,
      });
    }
    if (pg?.code === "23505") return new AppError("conflict", "a product with this id already exists", { cause: err });
    return toAppError(err) ?? err;
  }
}
