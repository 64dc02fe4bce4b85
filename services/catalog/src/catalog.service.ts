import { AppError, type FieldError } from "@shared/errors";
import { isAdmin } from "@shared/identity";
import { pageOf } from "@shared/pagination";
import type {
  Actor,
  ExpectedVersion,
  NewProduct,
  Page,
  Product,
  ProductChanged,
  ProductChanges,
  ProductFilter,
  ReleaseOutcome,
  ReserveOutcome,
  StockLine,
  StockReservation,
} from "./catalog.model.ts";

/** The storage the catalog service needs; adapters implement it (PostgreSQL, in-memory for tests). */
export interface CatalogRepo {
  /** Inserts a product with version 1; throws AppError `conflict` when the id or sku (any case) is taken. */
  create(product: NewProduct & { id: string }): Promise<Product>;
  /** The product with this id, or null. */
  get(id: string): Promise<Product | null>;
  /** The products among these ids, in any order; unknown ids are simply absent. One query. */
  getMany(ids: readonly string[]): Promise<Product[]>;
  /**
   * Reads the product, asks `decide` for the changes and writes them, all in one transaction holding the
   * row; `decide` may throw to abort. Empty changes write nothing and return the product as it is;
   * otherwise `version` grows by one and `updatedAt` moves. Null when the id is unknown; AppError
   * `conflict` when the new sku is taken.
   */
  update(id: string, decide: (current: Product) => ProductChanges): Promise<Product | null>;
  /** Products matching the filter, ordered by id, starting strictly after `afterId`. */
  list(filter: ProductFilter, afterId: string | null, limit: number): Promise<Product[]>;
  /**
   * Holds every line for the order in one transaction (stock down, version up), or nothing: a line whose
   * product is unknown, inactive or short leaves all stock as it was (`short`). An order id seen before
   * answers its reservation as it stands and takes nothing. Lines name distinct products.
   */
  reserve(orderId: string, lines: readonly StockLine[]): Promise<ReserveOutcome>;
  /**
   * Gives the order's held stock back in one transaction, once; an order that holds nothing is recorded
   * as released (no lines), so a later reserve for it takes nothing.
   */
  release(orderId: string): Promise<ReleaseOutcome>;
  /**
   * Ids of orders whose reservations are `held`, not kept, and were made at least `olderThanMs` ago,
   * ascending, after `afterId`.
   */
  heldOrders(olderThanMs: number, afterId: string | null, limit: number): Promise<string[]>;
  /** Marks these orders' held reservations kept (`heldOrders` leaves them out); how many were newly marked. */
  keep(orderIds: readonly string[]): Promise<number>;
}

/** Told about every committed change; fire-and-forget (a cache purge), so it must not throw. */
export type ProductChangedListener = (event: ProductChanged) => void;

/** Most ids one batch read accepts (the `catalog.products.get` contract says the same). */
export const maxBatchIds = 100;

const currencies = new Set(Intl.supportedValuesOf("currency"));
const maxInt4 = 2_147_483_647;

/** True when `code` is an ISO 4217 currency code this runtime knows (upper case). */
export function isCurrencyCode(code: string): boolean {
  return /^[A-Z]{3}$/.test(code) && currencies.has(code);
}

/** Refuses anyone but an admin: `unauthenticated` without an actor, `permission_denied` without the role. */
export function requireAdmin(actor: Actor | null): void {
  if (!actor) throw new AppError("unauthenticated", "This operation needs an authenticated caller");
  if (!isAdmin(actor)) throw new AppError("permission_denied", "Only admins may change products");
}

/** Encodes a listing position as an opaque cursor. */
export function encodeCursor(lastId: string): string {
  return Buffer.from(`p1|${lastId}`).toString("base64url");
}

/** Decodes an opaque cursor; a malformed one is an `invalid_argument`. */
export function decodeCursor(cursor: string): string {
  const [tag, id] = Buffer.from(cursor, "base64url").toString("utf8").split("|");
  if (tag !== "p1" || !id || !/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/.test(id)) {
    throw new AppError("invalid_argument", "cursor is malformed", {
      fields: [{ path: "/query/cursor", message: "not a cursor returned by this API" }],
    });
  }
  return id;
}

/** Checks the rules every transport must respect, so a caller that skipped validation cannot break them. */
function checkFields(p: ProductChanges, prefix = "/body"): void {
  const fields: FieldError[] = [];
  const intIn = (name: "priceMinor" | "stock") => {
    const v = p[name];
    if (v !== undefined && !(Number.isInteger(v) && v >= 0 && v <= maxInt4)) {
      fields.push({ path: `${prefix}/${name}`, message: `must be an integer from 0 to ${maxInt4}` });
    }
  };
  intIn("priceMinor");
  intIn("stock");
  if (p.currency !== undefined && !isCurrencyCode(p.currency)) {
    fields.push({ path: `${prefix}/currency`, message: "must be an ISO 4217 currency code, e.g. EUR" });
  }
  if (p.sku !== undefined && !/^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/.test(p.sku)) {
    fields.push({ path: `${prefix}/sku`, message: "1-64 letters, digits, '.', '_' or '-', starting alphanumeric" });
  }
  if (p.name !== undefined && (p.name.length === 0 || p.name.length > 200)) {
    fields.push({ path: `${prefix}/name`, message: "must be 1-200 characters" });
  }
  if (fields.length) throw new AppError("invalid_argument", "Product is invalid", { fields });
}

/** Only the fields whose values differ from the current product. */
function diff(current: Product, changes: ProductChanges): ProductChanges {
  const out: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(changes)) {
    if (value !== undefined && current[key as keyof Product] !== value) out[key] = value;
  }
  return out as ProductChanges;
}

/** One to maxBatchIds lines of distinct products, each quantity a positive integer. */
function checkStockLines(lines: readonly StockLine[]): void {
  const fields: FieldError[] = [];
  if (lines.length === 0 || lines.length > maxBatchIds) {
    fields.push({ path: "/lines", message: `give 1 to ${maxBatchIds} lines` });
  }
  const seen = new Set<string>();
  lines.forEach((line, i) => {
    if (!Number.isInteger(line.quantity) || line.quantity < 1 || line.quantity > maxInt4) {
      fields.push({ path: `/lines/${i}/quantity`, message: "must be a positive integer" });
    }
    if (seen.has(line.productId)) fields.push({ path: `/lines/${i}/productId`, message: "names a product twice" });
    seen.add(line.productId);
  });
  if (fields.length) throw new AppError("invalid_argument", "The reservation's lines are invalid", { fields });
}

/** Why each line cannot be held, from the products as they stand. */
function shortages(lines: readonly StockLine[], products: readonly Product[]): FieldError[] {
  const byId = new Map(products.map((p) => [p.id, p]));
  const fields = lines.flatMap((line, i): FieldError[] => {
    const p = byId.get(line.productId);
    if (!p) return [{ path: `/lines/${i}/productId`, message: "no such product" }];
    if (!p.active) return [{ path: `/lines/${i}/productId`, message: "the product is not for sale" }];
    if (p.stock < line.quantity) return [{ path: `/lines/${i}/quantity`, message: `only ${p.stock} in stock` }];
    return [];
  });
  // Stock that came back between the refusal and this read: the refusal stands, the caller may retry.
  return fields.length ? fields : [{ path: "/lines", message: "the stock changed while reserving; try again" }];
}

function matches(expected: ExpectedVersion | undefined, version: number): boolean {
  return !expected || expected.kind === "any" || expected.versions.includes(version);
}

/**
 * The product catalog: everyone reads active products; admins also see inactive ones and create,
 * change and deactivate products (never delete: orders keep pointing at them).
 */
export class CatalogService {
  private readonly newId: () => string;
  private readonly onProductChanged: ProductChangedListener;

  constructor(
    private readonly repo: CatalogRepo,
    options: { newId?: () => string; onProductChanged?: ProductChangedListener } = {},
  ) {
    this.newId = options.newId ?? (() => Bun.randomUUIDv7());
    this.onProductChanged = options.onProductChanged ?? (() => {});
  }

  /** Lists products page by page; non-admins see active products only. */
  async list(actor: Actor | null, filter: ProductFilter, cursor: string | undefined, limit: number) {
    if (filter.minPrice !== undefined && filter.maxPrice !== undefined && filter.minPrice > filter.maxPrice) {
      throw new AppError("invalid_argument", "minPrice is greater than maxPrice", {
        fields: [{ path: "/query/minPrice", message: "must not exceed maxPrice" }],
      });
    }
    let effective = filter;
    if (!isAdmin(actor)) {
      if (filter.active === false) throw new AppError("permission_denied", "Only admins may list inactive products");
      effective = { ...filter, active: true };
    }
    const after = cursor ? decodeCursor(cursor) : null;
    const rows = await this.repo.list(effective, after, limit + 1);
    return pageOf(rows, limit, (last) => encodeCursor(last.id)) satisfies Page<Product>;
  }

  /** One product; an inactive one is `not_found` for everyone but admins. */
  async get(actor: Actor | null, id: string): Promise<Product> {
    const product = await this.repo.get(id);
    if (!product || (!product.active && !isAdmin(actor))) throw new AppError("not_found", `product ${id} not found`);
    return product;
  }

  /**
   * Many products at once for other services (orders prices every order with it): inactive ones are
   * included, so callers can refuse them; unknown ids come back in `missing`, in the order asked.
   */
  async getMany(ids: readonly string[]): Promise<{ products: Product[]; missing: string[] }> {
    const wanted = [...new Set(ids.map((id) => id.toLowerCase()))];
    if (wanted.length === 0 || wanted.length > maxBatchIds) {
      throw new AppError("invalid_argument", `give 1 to ${maxBatchIds} ids`, {
        fields: [{ path: "/ids", message: `1 to ${maxBatchIds} ids` }],
      });
    }
    const found = new Map((await this.repo.getMany(wanted)).map((p) => [p.id, p]));
    const products: Product[] = [];
    const missing: string[] = [];
    for (const id of wanted) {
      const p = found.get(id);
      if (p) products.push(p);
      else missing.push(id);
    }
    return { products, missing };
  }

  /** Creates a product (admin only); the sku is unique in any letter case. */
  async create(actor: Actor | null, input: NewProduct): Promise<Product> {
    requireAdmin(actor);
    const product = { ...input, sku: input.sku.trim(), name: input.name.trim(), currency: input.currency };
    checkFields(product);
    const created = await this.repo.create({ ...product, id: this.newId() });
    this.onProductChanged({ kind: "created", product: created });
    return created;
  }

  /**
   * Changes a product (admin only). With `expected` (If-Match) the change applies only while the
   * product is still at one of those versions, else `precondition_failed`. Setting a field to its
   * current value changes nothing and keeps the version.
   */
  async update(actor: Actor | null, id: string, changes: ProductChanges, expected?: ExpectedVersion): Promise<Product> {
    requireAdmin(actor);
    if (Object.values(changes).every((v) => v === undefined)) {
      throw new AppError("invalid_argument", "Nothing to update", {
        fields: [{ path: "/body", message: "give at least one field" }],
      });
    }
    const normalised = {
      ...changes,
      ...(changes.sku !== undefined ? { sku: changes.sku.trim() } : {}),
      ...(changes.name !== undefined ? { name: changes.name.trim() } : {}),
    };
    checkFields(normalised);
    return this.change(id, expected, (current) => diff(current, normalised));
  }

  /** Deactivates a product (admin only): hidden from the public, still known to orders. Idempotent. */
  async deactivate(actor: Actor | null, id: string, expected?: ExpectedVersion): Promise<Product> {
    requireAdmin(actor);
    return this.change(id, expected, (current) => (current.active ? { active: false } : {}));
  }

  /**
   * Reserves stock for an order: every line or none, idempotent by order id. For other services (orders),
   * trusted like `getMany`; the HTTP binding admits admins only. A line that cannot be held is a
   * `conflict` naming it (`/lines/<i>/...`, in the caller's line order), as is an order released before.
   */
  async reserve(orderId: string, lines: readonly StockLine[]): Promise<StockReservation> {
    checkStockLines(lines);
    const outcome = await this.repo.reserve(orderId, lines);
    if (outcome.kind === "released") {
      throw new AppError("conflict", `The stock of order ${orderId} was released; place the order again`);
    }
    if (outcome.kind === "short") {
      throw new AppError("conflict", "Some lines cannot be reserved as they stand in the catalog", {
        fields: shortages(lines, outcome.products),
      });
    }
    this.announce(outcome.changed);
    return outcome.reservation;
  }

  /** Releases the stock an order holds, once (later calls change nothing). For other services, like reserve. */
  async release(orderId: string): Promise<StockReservation> {
    const outcome = await this.repo.release(orderId);
    this.announce(outcome.changed);
    return outcome.reservation;
  }

  /**
   * The orders holding stock for at least `olderThanMs`, by order id after `afterId`: for orders, which
   * releases those whose order never committed. For other services, like reserve.
   */
  heldOrders(olderThanMs: number, afterId: string | null, limit: number): Promise<string[]> {
    return this.repo.heldOrders(olderThanMs, afterId, limit);
  }

  /** Marks the reservations of orders that orders says are live, so `heldOrders` lists them no more. */
  keep(orderIds: readonly string[]): Promise<number> {
    return this.repo.keep(orderIds);
  }

  /** Stock moved: caches holding these products must drop them. */
  private announce(changed: readonly Product[]): void {
    for (const product of changed) this.onProductChanged({ kind: "updated", product });
  }

  private async change(
    id: string,
    expected: ExpectedVersion | undefined,
    decide: (current: Product) => ProductChanges,
  ): Promise<Product> {
    let applied: ProductChanges = {};
    const product = await this.repo.update(id, (current) => {
      if (!matches(expected, current.version)) {
        throw new AppError("precondition_failed", `product ${id} has changed (now at version ${current.version})`);
      }
      applied = decide(current);
      return applied;
    });
    if (!product) throw new AppError("not_found", `product ${id} not found`);
    if (Object.keys(applied).length > 0) {
      this.onProductChanged({ kind: applied.active === false ? "deactivated" : "updated", product });
    }
    return product;
  }
}
