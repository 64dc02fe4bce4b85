// Keyed placements on PostgreSQL: the idempotency store runs the whole placement in one transaction, so the
// pending order is not committed while catalog reserves. These tests show that stock catalog holds for an
// order that rolled back comes back, and that a slow placement gives up before the sweeper may release it.
import { describe, expect, test } from "bun:test";
import { embedMigrations } from "@shared/db/migrations.macro.ts" with { type: "macro" };
import { PgIdempotencyStore } from "@shared/idempotency";
import { useMigratedDatabase } from "@shared/testing";
import pino from "pino";
import { createApp } from "./orders.app.ts";
import { MemoryCatalog, product } from "./orders.catalog.memory.ts";
import { makeOrdersEndpoints } from "./orders.endpoints.ts";
import { PgOrdersRepo } from "./orders.repo.ts";
import { idempotencyKeys } from "./orders.schema.ts";
import { OrdersService } from "./orders.service.ts";

const db = useMigratedDatabase({
  schema: "orders",
  migrations: embedMigrations("drizzle/orders"),
  prefix: "orders_keyed",
  truncate: ["orders.orders", "orders.outbox", "orders.idempotency_keys"],
});

const alice = "0190d9a4-6b1e-7c3a-9f51-2b9d3c4e5fa1";
const mug = "0190d9a4-6b1e-7c3a-9f51-00000000f001";
const policy = { pendingTimeoutMs: 30_000, batch: 100 };

function makeApp(now: () => Date = () => new Date()) {
  const repo = new PgOrdersRepo(db.database);
  const catalog = new MemoryCatalog([product(mug, { priceMinor: 1250, stock: 5 })]);
  const service = new OrdersService(repo, catalog, policy, undefined, now);
  const app = createApp({
    endpoints: makeOrdersEndpoints(service),
    logger: pino({ level: "silent" }),
    version: "9.9.9",
    idempotency: new PgIdempotencyStore(db.database, idempotencyKeys, { ttlMs: 60_000 }),
  });
  const place = (key: string, quantity: number) =>
    app.request("/orders", {
      method: "POST",
      headers: {
        "x-user-id": alice,
        "x-user-roles": "user",
        "content-type": "application/json",
        "idempotency-key": key,
      },
      body: JSON.stringify({ lines: [{ productId: mug, quantity }] }),
    });
  const orderCount = async () => (await repo.list({}, null, 100)).length;
  return { repo, catalog, service, place, orderCount };
}

describe("a keyed placement on PostgreSQL", () => {
  test("that fails after catalog reserved leaves no order, and the sweep of held stock gives the stock back", async () => {
    const { repo, catalog, service, place, orderCount } = makeApp();
    repo.confirm = async () => {
      throw new Error("the connection broke"); // the request dies between the reservation and the commit
    };
    expect((await place("k-broken", 2)).status).toBe(500);
    expect(await orderCount()).toBe(0);
    expect(catalog.products.get(mug)!.stock).toBe(3); // held for an order nobody can see

    // Too young for the sweep: a keyed placement might still be confirming it.
    expect(await service.reconcileHeld(policy, null)).toEqual({ released: 0, next: null });
    expect(catalog.products.get(mug)!.stock).toBe(3);
    expect(await service.reconcileHeld({ ...policy, pendingTimeoutMs: 0 }, null)).toEqual({ released: 1, next: null });
    expect(catalog.products.get(mug)!.stock).toBe(5);
  });

  test("refused by catalog leaves the stock untouched, and its retry with the same key gets the same 409", async () => {
    const { catalog, place, orderCount } = makeApp();
    const reserve = catalog.reserve.bind(catalog);
    catalog.reserve = async (orderId, lines, m) => {
      catalog.products.get(mug)!.stock = 1; // another buyer took the rest between pricing and reserving
      return reserve(orderId, lines, m);
    };
    const first = await place("k-refused", 2);
    expect(first.status).toBe(409);
    const body = (await first.json()) as { code: string; errors: unknown };
    expect(body.errors).toEqual([{ path: "/lines/0/quantity", message: "only 1 in stock" }]);
    expect(catalog.products.get(mug)!.stock).toBe(1);
    expect(await orderCount()).toBe(0);

    const retry = await place("k-refused", 2);
    expect(retry.status).toBe(409);
    expect(((await retry.json()) as { errors: unknown }).errors).toEqual(body.errors);
    expect(retry.headers.get("idempotent-replayed")).toBeNull();
    expect(catalog.products.get(mug)!.stock).toBe(1);
    expect([...catalog.reservations.values()].every((r) => r.released && r.lines.length === 0)).toBe(true);
  });

  test("that reserved too slowly to confirm safely answers 503, keeps nothing and gives the stock back", async () => {
    let clock = Date.UTC(2026, 0, 1);
    const { catalog, place, orderCount } = makeApp(() => new Date(clock));
    const reserve = catalog.reserve.bind(catalog);
    catalog.reserve = async (orderId, lines, m) => {
      await reserve(orderId, lines, m);
      clock += policy.pendingTimeoutMs / 2 + 1; // the sweeper may release it before this request commits
    };
    expect((await place("k-slow", 2)).status).toBe(503);
    expect(await orderCount()).toBe(0);
    expect(catalog.products.get(mug)!.stock).toBe(5);

    // The key was not kept: the retry places the order.
    catalog.reserve = reserve;
    const retry = await place("k-slow", 2);
    expect(retry.status).toBe(201);
    expect(catalog.products.get(mug)!.stock).toBe(3);
    expect(await orderCount()).toBe(1);
  });
});
