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
} from "./orders.model.ts";
import { assertTransition } from "./orders.state.ts";

/** The storage the orders service needs; adapters implement it (PostgreSQL, in-memory for tests). */
export interface OrdersRepo {
  /**
   * Writes an order, all its lines and its `orders.order.placed` event in one transaction; `meta` is the
   * request the event is traced to.
   */
  insert(order: Order, meta?: RequestMeta): Promise<Order>;
  /** The order with this id, lines included, or null. */
  get(id: string): Promise<Order | null>;
  /**
   * Reads the order under a row lock, asks `change` for its next status and writes it, all in one
   * transaction, with the `orders.order.cancelled` event when the order becomes cancelled. A throw from
   * `change` rolls back and is rethrown; null when the id is unknown.
   */
  updateStatus(
    id: string,
    change: (current: Order) => { status: OrderStatus; updatedAt: Date },
    meta?: RequestMeta,
  ): Promise<Order | null>;
  /** Orders matching the filter, newest first by (createdAt, id), starting strictly before the cursor. */
  list(filter: OrderFilter, before: PageCursor | null, limit: number): Promise<Order[]>;
}

/** What orders needs from catalog. The adapter over the `catalog.products.get` contract implements it. */
export interface CatalogClient {
  /**
   * The products with these ids; ids catalog does not know are listed in `missing`. Throws AppError
   * `unavailable` when catalog cannot answer within the configured budget.
   */
  getProducts(ids: readonly string[], meta: RequestMeta): Promise<{ products: CatalogProduct[]; missing: string[] }>;
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
    private readonly newId: () => string = () => Bun.randomUUIDv7(),
    private readonly now: () => Date = () => new Date(),
  ) {}

  /**
   * Places an order for the caller at catalog's current prices. Catalog is asked before anything is
   * written, so a catalog outage (`unavailable`) or a refusal (`conflict`) leaves no trace.
   */
  async place(actor: Actor, lines: readonly OrderRequestLine[], meta: RequestMeta): Promise<Order> {
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
    return this.repo.insert(
      {
        id: this.newId(),
        userId: actor.userId,
        status: "placed",
        currency,
        totalMinor,
        lines: priced,
        createdAt: at,
        updatedAt: at,
      },
      meta,
    );
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

  /** Cancels an order while it is still `placed` (owner or admin). */
  cancel(actor: Actor, id: string, meta?: RequestMeta): Promise<Order> {
    return this.transition(actor, id, "cancelled", meta);
  }

  /** Moves an order along (admin): `paid`, `shipped`, `delivered`, or `cancelled` while placed. */
  async advance(actor: Actor, id: string, to: OrderStatus, meta?: RequestMeta): Promise<Order> {
    if (!isAdmin(actor)) throw new AppError("permission_denied", "Only admins may change an order's status");
    return this.transition(actor, id, to, meta);
  }

  /** The one place an order changes status: visibility, then the state machine, under the repo's row lock. */
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
    return updated;
  }
}

function maySee(actor: Actor, order: Order): boolean {
  return order.userId === actor.userId || isAdmin(actor);
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
