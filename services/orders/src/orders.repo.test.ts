import { expect, test } from "bun:test";
import { embedMigrations } from "@shared/db/migrations.macro.ts" with { type: "macro" };
import { useMigratedDatabase } from "@shared/testing";
import { ordersRepoContract } from "./orders.repo.contract.ts";
import { PgOrdersRepo } from "./orders.repo.ts";

const db = useMigratedDatabase({
  schema: "orders",
  migrations: embedMigrations("drizzle/orders"),
  prefix: "orders_repo",
  truncate: ["orders.orders", "orders.outbox"],
});

ordersRepoContract("the PostgreSQL orders repository", async () => new PgOrdersRepo(db.database));

test("a refused insert leaves neither the order nor any of its lines", async () => {
  const repo = new PgOrdersRepo(db.database);
  const at = new Date();
  const bad = {
    id: "0190d9a4-6b1e-7c3a-9f51-0000000000ee",
    userId: "0190d9a4-6b1e-7c3a-9f51-0000000000a1",
    status: "placed" as const,
    currency: "EUR",
    totalMinor: 1,
    // The second line breaks the quantity check after the order row and first line went in.
    lines: [
      { productId: "0190d9a4-6b1e-7c3a-9f51-00000000f001", sku: "a", name: "a", quantity: 1, unitPriceMinor: 1 },
      { productId: "0190d9a4-6b1e-7c3a-9f51-00000000f002", sku: "b", name: "b", quantity: 5000, unitPriceMinor: 1 },
    ],
    createdAt: at,
    updatedAt: at,
  };
  await expect(repo.insert(bad)).rejects.toMatchObject({ code: "invalid_argument" });
  const [counts] = await db.database.sql`
    select (select count(*)::int from orders.orders) as orders, (select count(*)::int from orders.order_lines) as lines,
      (select count(*)::int from orders.outbox) as events`;
  expect(counts).toEqual({ orders: 0, lines: 0, events: 0 });
});

const placedOrder = () => {
  const at = new Date();
  return {
    id: Bun.randomUUIDv7(),
    userId: "0190d9a4-6b1e-7c3a-9f51-0000000000a1",
    status: "placed" as const,
    currency: "EUR",
    totalMinor: 2 * 1250,
    lines: [
      { productId: "0190d9a4-6b1e-7c3a-9f51-00000000f001", sku: "MUG", name: "Mug", quantity: 2, unitPriceMinor: 1250 },
    ],
    createdAt: at,
    updatedAt: at,
  };
};

test("placing writes one orders.order.placed outbox row with the request's id, cancelling one cancelled row", async () => {
  const repo = new PgOrdersRepo(db.database);
  const order = placedOrder();
  await repo.insert(order, { requestId: "req-place" });
  await repo.updateStatus(order.id, () => ({ status: "cancelled", updatedAt: new Date() }), {
    requestId: "req-cancel",
  });
  const rows = await db.database
    .sql`select subject, version, payload, headers, sent_at from orders.outbox order by created_at, id`;
  expect(rows.map((r) => r.subject)).toEqual(["orders.order.placed", "orders.order.cancelled"]);
  expect(rows[0]!.payload).toMatchObject({
    orderId: order.id,
    userId: order.userId,
    totalMinor: 2500,
    currency: "EUR",
  });
  expect(rows[0]!.headers).toMatchObject({ "X-Request-Id": "req-place" });
  expect(rows[1]!.payload).toMatchObject({ orderId: order.id, userId: order.userId });
  expect(rows.every((r) => r.version === 1 && r.sent_at === null)).toBe(true);
});

test("a status change other than cancelling, or a refused one, writes no event", async () => {
  const repo = new PgOrdersRepo(db.database);
  const order = placedOrder();
  await repo.insert(order);
  await repo.updateStatus(order.id, () => ({ status: "paid", updatedAt: new Date() }));
  await expect(
    repo.updateStatus(order.id, () => {
      throw new Error("refused");
    }),
  ).rejects.toThrow("refused");
  const rows = await db.database.sql`select subject from orders.outbox`;
  expect(rows.map((r) => r.subject)).toEqual(["orders.order.placed"]);
});

test("confirming a pending order writes its orders.order.placed row; inserting it pending writes none", async () => {
  const repo = new PgOrdersRepo(db.database);
  const order = { ...placedOrder(), status: "pending" as const };
  await repo.insert(order, { requestId: "req-pending" });
  expect((await db.database.sql`select count(*)::int as n from orders.outbox`)[0]!.n).toBe(0);
  await repo.confirm(order, new Date(), { requestId: "req-placed" });
  const rows = await db.database.sql`select subject, headers from orders.outbox`;
  expect(rows.map((r) => r.subject)).toEqual(["orders.order.placed"]);
  expect(rows[0]!.headers).toMatchObject({ "X-Request-Id": "req-placed" });
});
