import { AppError, type FieldError } from "@shared/errors";
import { isAdmin } from "@shared/identity";
import { decodeCursor, encodeCursor, pageOf } from "@shared/pagination";
import {
  type Actor,
  type CatalogProduct,
  type Order,
  type OrderFilter,
  type OrderLine,
  type OrderRequestLine,
  type OrderStatus,
  orderLimits,
  type Page,
  type PageCursor,
  type RequestMeta,
  type StockLine,
} from "./orders.model.ts";
import { assertTransition } from "./orders.state.ts";

/** The storage the orders service needs; adapters implement it (PostgreSQL, in-memory for tests). */
export interface OrdersRepo {
  /**
   * Writes an order and all its lines in one transaction, marked as possibly holding catalog stock until
   * `markStockReleased`; an order inserted as `placed` gets its `orders.order.placed` event in that
   * transaction too. `meta` is the request the event is traced to.
   */
  insert(order: Order, meta?: RequestMeta): Promise<Order>;
  /** The order with this id, lines included, or null. */
  get(id: string): Promise<Order | null>;
  /**
   * Reads the order under a row lock, asks `change` for its next status and writes it, all in one
   * transaction, with the `orders.order.placed` or `orders.order.cancelled` event when the order becomes
   * placed or cancelled. A throw from `change` rolls back and is rethrown; null when the id is unknown.
   */
  updateStatus(
    id: string,
    change: (current: Order) => { status: OrderStatus; updatedAt: Date },
    meta?: RequestMeta,
  ): Promise<Order | null>;
  /** Orders matching the filter, newest first by (createdAt, id), starting strictly before the cursor. */
  list(filter: OrderFilter, before: PageCursor | null, limit: number): Promise<Order[]>;
  /**
   * Makes a `pending` order `placed` with its `orders.order.placed` event, in one transaction; null (and
   * nothing written) when the order is no longer pending. `order` is the order as inserted.
   */
  confirm(order: Order, updatedAt: Date, meta?: RequestMeta): Promise<Order | null>;
  /** Ids of orders still `pending` that were created before the given time, oldest first. */
  stalePending(createdBefore: Date, limit: number): Promise<string[]>;
  /** Ids of cancelled or rejected orders for which catalog may still hold stock, oldest first. */
  unreleased(limit: number): Promise<string[]>;
  /** Records that catalog holds no stock for the order any more. */
  markStockReleased(id: string): Promise<void>;
  /** The status of each of these orders that exists; ids of orders that do not exist are absent. */
  statusesOf(ids: readonly string[]): Promise<Map<string, OrderStatus>>;
}

/** What orders needs from catalog. The adapter over catalog's bus contracts implements it. */
export interface CatalogClient {
  /**
   * The products with these ids; ids catalog does not know are listed in `missing`. Throws AppError
   * `unavailable` when catalog cannot answer within the configured budget.
   */
  getProducts(ids: readonly string[], meta: RequestMeta): Promise<{ products: CatalogProduct[]; missing: string[] }>;
  /**
   * Holds every line's quantity for the order, or none; idempotent by order id. Throws `conflict` naming
   * the lines (`/lines/<i>/...`) that cannot be held, or when the order was released before; `unavailable`
   * when catalog cannot answer in time (it may or may not hold the stock then).
   */
  reserve(orderId: string, lines: readonly StockLine[], meta: RequestMeta): Promise<void>;
  /** Gives the order's stock back (once, whatever the number of calls). Throws `unavailable`. */
  release(orderId: string, meta: RequestMeta): Promise<void>;
  /**
   * Ids of the orders catalog has held stock for since at least `olderThanMs` ago, ascending, after
   * `after`, at most `limit`. Throws `unavailable`.
   */
  held(olderThanMs: number, after: string | null, limit: number, meta: RequestMeta): Promise<string[]>;
  /** Tells catalog these orders are live, so `held` lists them no more (idempotent). Throws `unavailable`. */
  keep(orderIds: readonly string[], meta: RequestMeta): Promise<void>;
}

/**
 * How long a placement may stay pending before the sweeper rejects it and releases its stock. It also
 * bounds a placement inside a caller's transaction (a keyed request): one that has not confirmed within
 * half of it gives up, because after the whole of it the sweeper releases catalog's stock of any order
 * it cannot see.
 */
export interface ReservationPolicy {
  pendingTimeoutMs: number;
  /** Orders the sweeper handles per round and kind. */
  batch: number;
}

/** Which orders a listing asks for. */
export interface ListQuery {
  /** Another user's orders (admin), or one's own. */
  userId?: string;
  /** `all`: every user's orders (admin); `mine` (default): the caller's. Ignored when userId is given. */
  scope?: "mine" | "all";
  status?: OrderStatus;
  cursor?: string;
  limit: number;
}

/**
 * Orders: a user places orders for themselves and sees, lists and cancels only their own; `admin`
 * sees everyone's and moves orders along (paid, shipped, delivered). An order the caller may not see
 * answers `not_found`, exactly like an order that does not exist, so ids leak nothing.
 */
export class OrdersService {
  constructor(
    private readonly repo: OrdersRepo,
    private readonly catalog: CatalogClient,
    private readonly reservation: Pick<ReservationPolicy, "pendingTimeoutMs">,
    private readonly newId: () => string = () => Bun.randomUUIDv7(),
    private readonly now: () => Date = () => new Date(),
  ) {}

  /**
   * Places an order for the caller at catalog's current prices, holding its stock. Catalog prices it
   * first: a catalog outage (`unavailable`) or a refusal (`conflict`) at that point leaves no trace. Then
   * the order is written `pending`, catalog reserves its stock (keyed by the order id), and the order
   * becomes `placed`. A reservation refused (`conflict`, naming the lines) or not confirmed in time
   * (`unavailable`) leaves the order `rejected` and its stock released. A crash in between leaves it
   * `pending`, which the sweeper (`reconcile`) rejects and releases later.
   *
   * Inside a caller's transaction (a keyed request, ADR 0005) the pending order is not committed while
   * catalog reserves, so a crash or a rollback leaves stock held for an order nobody can see; the sweeper
   * releases it (`reconcileHeld`) once it has been held for the pending timeout. So that it never releases
   * the stock of an order that is about to commit, a placement that has not confirmed within half the
   * pending timeout gives up (`unavailable`, the order rejected and its stock released).
   */
  async place(actor: Actor, lines: readonly OrderRequestLine[], meta: RequestMeta): Promise<Order> {
    const started = this.now().getTime();
    checkShape(lines);
    const ids = lines.map((l) => l.productId);
    const answer = await this.catalog.getProducts(ids, meta);
    const { priced, currency } = priceLines(lines, answer.products);
    const totalMinor = priced.reduce((sum, l) => sum + l.unitPriceMinor * l.quantity, 0);
    if (!Number.isSafeInteger(totalMinor)) {
      throw new AppError("invalid_argument", "The order total is too large; split the order", {
        fields: [{ path: "/lines", message: "total exceeds the largest amount an order can hold" }],
      });
    }
    const at = this.now();
    const pending = await this.repo.insert(
      {
        id: this.newId(),
        userId: actor.userId,
        status: "pending",
        currency,
        totalMinor,
        lines: priced,
        createdAt: at,
        updatedAt: at,
      },
      meta,
    );
    const held = pending.lines.map((l) => ({ productId: l.productId, quantity: l.quantity }));
    try {
      await this.catalog.reserve(pending.id, held, meta);
    } catch (err) {
      await this.giveUp(pending.id, meta);
      throw err;
    }
    if (this.now().getTime() - started > this.reservation.pendingTimeoutMs / 2) {
      await this.giveUp(pending.id, meta);
      throw tooLong();
    }
    const placed = await this.repo.confirm(pending, this.now(), meta);
    // Null: the sweeper rejected the order meanwhile (placing took longer than the pending timeout); its
    // stock is released, or will be, so the order must not be placed.
    if (!placed) throw tooLong();
    return placed;
  }

  /** A placement that will not be confirmed: the order rejected, catalog's stock for it released. */
  private async giveUp(id: string, meta: RequestMeta): Promise<void> {
    await this.reject(id, meta).catch(() => {}); // the sweeper may have rejected it already
    await this.releaseStock(id, meta);
  }

  /**
   * One sweep: rejects placements left `pending` past the policy's timeout (their process died or gave up
   * between reserving and confirming), then releases the stock of cancelled and rejected orders catalog
   * may still hold. Safe to run on several instances at once (every step is conditional or idempotent).
   */
  async reconcile(policy: ReservationPolicy): Promise<{ rejected: number; released: number }> {
    const meta = { requestId: crypto.randomUUID() };
    const before = new Date(this.now().getTime() - policy.pendingTimeoutMs);
    let rejected = 0;
    for (const id of await this.repo.stalePending(before, policy.batch)) {
      const moved = await this.reject(id, meta).then(
        () => true,
        () => false, // placed or rejected by its own request meanwhile
      );
      if (moved) rejected++;
    }
    let released = 0;
    for (const id of await this.repo.unreleased(policy.batch)) {
      if (await this.releaseStock(id, meta)) released++;
    }
    return { rejected, released };
  }

  /**
   * One page of the second sweep: catalog's reservations held for at least the pending timeout, after
   * order id `after`, compared with the orders. Stock held for an order that does not exist (its keyed
   * request crashed or rolled back after catalog reserved) or that was rejected or cancelled is released;
   * pending orders are left to `reconcile`; live ones (placed and later) are marked kept in catalog, so
   * later pages leave them out. `next` is the cursor of the following page, null at the end.
   */
  async reconcileHeld(
    policy: ReservationPolicy,
    after: string | null,
  ): Promise<{ released: number; next: string | null }> {
    const meta = { requestId: crypto.randomUUID() };
    const ids = await this.catalog.held(policy.pendingTimeoutMs, after, policy.batch, meta);
    const statuses = await this.repo.statusesOf(ids);
    let released = 0;
    const live: string[] = [];
    for (const id of ids) {
      const status = statuses.get(id);
      if (status === "pending") continue;
      if (status !== undefined && status !== "rejected" && status !== "cancelled") live.push(id);
      else if (await this.releaseStock(id, meta)) released++;
    }
    if (live.length) await this.catalog.keep(live, meta);
    return { released, next: ids.length < policy.batch ? null : ids[ids.length - 1]! };
  }

  /** Rejects a pending order under the repo's row lock; `conflict` when it is no longer pending. */
  private async reject(id: string, meta: RequestMeta): Promise<Order> {
    const rejected = await this.repo.updateStatus(
      id,
      (current) => {
        assertTransition(current.status, "rejected");
        return { status: "rejected", updatedAt: this.now() };
      },
      meta,
    );
    if (!rejected) throw notFound(id);
    return rejected;
  }

  /**
   * Asks catalog to give the order's stock back and records that it did. False when catalog cannot be
   * reached: the order stays marked as holding stock, and the sweeper tries again.
   */
  private async releaseStock(id: string, meta: RequestMeta): Promise<boolean> {
    try {
      await this.catalog.release(id, meta);
    } catch {
      return false;
    }
    await this.repo.markStockReleased(id);
    return true;
  }

  /** Reads an order the caller may see (owner or admin). */
  async get(actor: Actor, id: string): Promise<Order> {
    const order = await this.repo.get(id);
    if (!order || !maySee(actor, order)) throw notFound(id);
    return order;
  }

  /** Lists orders newest first, page by page: one's own by default, anyone's for admins. */
  async list(actor: Actor, query: ListQuery): Promise<Page<Order>> {
    const filter: OrderFilter = { ...(query.status ? { status: query.status } : {}) };
    if (query.userId !== undefined) {
      if (query.userId !== actor.userId && !isAdmin(actor)) {
        throw new AppError("permission_denied", "Only admins may list another user's orders");
      }
      filter.userId = query.userId;
    } else if (query.scope === "all") {
      if (!isAdmin(actor)) throw new AppError("permission_denied", "Only admins may list every user's orders");
    } else {
      filter.userId = actor.userId;
    }
    const before = query.cursor ? decodeCursor(query.cursor) : null;
    return pageOf(await this.repo.list(filter, before, query.limit + 1), query.limit, encodeCursor);
  }

  /** Cancels an order while it is still `placed` (owner or admin), and releases its stock. */
  cancel(actor: Actor, id: string, meta?: RequestMeta): Promise<Order> {
    return this.transition(actor, id, "cancelled", meta);
  }

  /** Moves an order along (admin): `paid`, `shipped`, `delivered`, or `cancelled` while placed. */
  async advance(actor: Actor, id: string, to: OrderStatus, meta?: RequestMeta): Promise<Order> {
    if (!isAdmin(actor)) throw new AppError("permission_denied", "Only admins may change an order's status");
    return this.transition(actor, id, to, meta);
  }

  /**
   * The one place a caller changes an order's status: visibility, then the state machine, under the
   * repo's row lock. A cancelled order's stock goes back to catalog right away; if catalog cannot be
   * reached the cancellation stands and the sweeper releases the stock later.
   */
  private async transition(actor: Actor, id: string, to: OrderStatus, meta?: RequestMeta): Promise<Order> {
    const updated = await this.repo.updateStatus(
      id,
      (current) => {
        if (!maySee(actor, current)) throw notFound(id);
        assertTransition(current.status, to);
        return { status: to, updatedAt: this.now() };
      },
      meta,
    );
    if (!updated) throw notFound(id);
    if (to === "cancelled") await this.releaseStock(id, meta ?? { requestId: crypto.randomUUID() });
    return updated;
  }
}

function maySee(actor: Actor, order: Order): boolean {
  return order.userId === actor.userId || isAdmin(actor);
}

/** A placement that ran out of time before its order was confirmed. */
function tooLong(): AppError {
  return new AppError("unavailable", "Placing the order took too long; it was not placed, try again");
}

function notFound(id: string): AppError {
  return new AppError("not_found", `order ${id} not found`);
}

/** Line count, quantity range and duplicate products (rejected, not merged: the request is ambiguous). */
function checkShape(lines: readonly OrderRequestLine[]): void {
  const fields: FieldError[] = [];
  if (lines.length === 0 || lines.length > orderLimits.maxLines) {
    fields.push({ path: "/lines", message: `give 1 to ${orderLimits.maxLines} lines` });
  }
  const firstLine = new Map<string, number>();
  lines.forEach((line, i) => {
    if (!Number.isInteger(line.quantity) || line.quantity < 1 || line.quantity > orderLimits.maxQuantity) {
      fields.push({ path: `/lines/${i}/quantity`, message: `must be an integer from 1 to ${orderLimits.maxQuantity}` });
    }
    const first = firstLine.get(line.productId);
    if (first === undefined) firstLine.set(line.productId, i);
    else fields.push({ path: `/lines/${i}/productId`, message: `duplicates line ${first}; give each product once` });
  });
  if (fields.length) throw new AppError("invalid_argument", "The order's lines are invalid", { fields });
}

/**
 * Prices every line from catalog's answer. Every refusal is collected, so the caller learns about all
 * lines at once: unknown, inactive, short of stock, or priced in another currency are each a
 * `conflict` (the request is well formed, the catalog's current state refuses it).
 */
function priceLines(
  lines: readonly OrderRequestLine[],
  products: readonly CatalogProduct[],
): { priced: OrderLine[]; currency: string } {
  const byId = new Map(products.map((p) => [p.id, p]));
  const fields: FieldError[] = [];
  const priced: OrderLine[] = [];
  const currencies = new Set<string>();
  lines.forEach((line, i) => {
    const product = byId.get(line.productId);
    if (!product) {
      fields.push({ path: `/lines/${i}/productId`, message: "no such product" });
      return;
    }
    if (!product.active) {
      fields.push({ path: `/lines/${i}/productId`, message: "the product is not for sale" });
      return;
    }
    if (product.stock < line.quantity) {
      fields.push({ path: `/lines/${i}/quantity`, message: `only ${product.stock} in stock` });
      return;
    }
    currencies.add(product.currency);
    priced.push({
      productId: product.id,
      sku: product.sku,
      name: product.name,
      quantity: line.quantity,
      unitPriceMinor: product.priceMinor,
    });
  });
  if (fields.length) {
    throw new AppError("conflict", "Some lines cannot be ordered as they stand in the catalog", { fields });
  }
  if (currencies.size > 1) {
    throw new AppError(
      "conflict",
      `The products are priced in several currencies (${[...currencies].sort().join(", ")}); place one order per currency`,
      { fields: [{ path: "/lines", message: "mixed currencies" }] },
    );
  }
  return { priced, currency: [...currencies][0]! };
}
