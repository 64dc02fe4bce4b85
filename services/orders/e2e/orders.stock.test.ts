// End-to-end: the compiled catalog and orders binaries on one database and a private nats-server. Placing
// holds stock in catalog: 50 concurrent orders for 5 in stock place exactly 5, and catalog's product GET
// shows the stock they left; cancelling one gives its stock back. The fault test kills orders with SIGKILL
// between catalog's reservation and the order's commit (a test-only fault point armed by an environment
// variable); after a restart the sweeper rejects the order and catalog's stock is whole again. A keyed
// placement killed the same way leaves no order at all (its transaction died with it); the sweeper then
// releases the stock catalog holds for an order that does not exist, and marks the reservations of live
// orders kept.
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { createTestDatabase, type TestDatabase } from "@shared/testing";
import { buildService, copyAlone, freePort, type RunningBinary, startBinary } from "@shared/testing/binary.ts";
import { type PrivateNats, privateNatsAvailable, startPrivateNats } from "@shared/testing/nats-server.ts";
import postgres from "postgres";
import { killAfterReserveVar } from "../src/orders.fault.ts";

const admin = { "x-user-id": "0190d9a4-6b1e-7c3a-9f51-000000000001", "x-user-roles": "admin" };
const buyer = (i: number) => ({
  "x-user-id": `0190d9a4-6b1e-7c3a-9f51-${(0xb000 + i).toString(16).padStart(12, "0")}`,
  "x-user-roles": "user",
  "content-type": "application/json",
});

describe.skipIf(!privateNatsAvailable())("stock reservation across the catalog and orders binaries", () => {
  let tdb: TestDatabase;
  let nats: PrivateNats;
  let catalog: RunningBinary;
  let ordersBin: string;
  let ordersPort: number;
  let sql: postgres.Sql;
  const running: RunningBinary[] = [];

  const startOrders = async (extra: Record<string, string> = {}) => {
    const orders = await startBinary({
      path: ordersBin,
      args: ["serve"],
      port: ordersPort,
      timeoutMs: 30_000,
      env: {
        DATABASE_URL: tdb.url,
        NATS_URL: nats.url,
        LOG_LEVEL: "warn",
        ORDERS_CATALOG_TIMEOUT_MS: "5000",
        ORDERS_RESERVATION_PENDING_TIMEOUT_MS: "1000",
        ORDERS_RESERVATION_SWEEP_MS: "100",
        ...extra,
      },
    });
    running.push(orders);
    return orders;
  };

  beforeAll(async () => {
    tdb = await createTestDatabase({ prefix: "orders_stock" });
    nats = await startPrivateNats();
    const [catalogPath, ordersPath] = await Promise.all([
      buildService("catalog").then(copyAlone),
      buildService("orders").then(copyAlone),
    ]);
    ordersBin = ordersPath;
    ordersPort = await freePort();
    catalog = await startBinary({
      path: catalogPath,
      args: ["serve"],
      timeoutMs: 30_000,
      env: { DATABASE_URL: tdb.url, NATS_URL: nats.url, LOG_LEVEL: "warn" },
    });
    running.push(catalog);
    sql = postgres(tdb.url, { max: 2, onnotice: () => {} });
  }, 240_000);

  afterAll(async () => {
    for (const p of running) await p.stop("SIGKILL");
    await sql?.end();
    await nats?.stop();
    await tdb?.drop();
  });

  const createProduct = async (sku: string, stock: number) => {
    const res = await fetch(`${catalog.url}/products`, {
      method: "POST",
      headers: { ...admin, "content-type": "application/json" },
      body: JSON.stringify({ sku, name: sku, priceMinor: 1250, currency: "EUR", stock }),
    });
    expect(res.status).toBe(201);
    return ((await res.json()) as { id: string }).id;
  };
  const stockOf = async (id: string) =>
    ((await (await fetch(`${catalog.url}/products/${id}`)).json()) as { stock: number }).stock;
  const place = (url: string, productId: string, i: number) =>
    fetch(`${url}/orders`, {
      method: "POST",
      headers: buyer(i),
      body: JSON.stringify({ lines: [{ productId, quantity: 1 }] }),
    });

  test("50 concurrent orders for 5 in stock leave exactly 5 live orders and stock 0; cancelling one brings 1 back", async () => {
    const orders = await startOrders();
    const mug = await createProduct("MUG-RACE", 5);
    const answers = await Promise.all(Array.from({ length: 50 }, (_, i) => place(orders.url, mug, i)));
    const statuses = answers.map((r) => r.status);
    expect(statuses.filter((s) => s === 201).length).toBe(5);
    expect(statuses.filter((s) => s === 409).length).toBe(45);
    expect(await stockOf(mug)).toBe(0);
    const [live] = await sql`select count(*)::int as n from orders.orders o
      join orders.order_lines l on l.order_id = o.id where l.product_id = ${mug} and o.status = 'placed'`;
    expect(live!.n).toBe(5);

    const winner = answers.findIndex((r) => r.status === 201);
    const order = (await answers[winner]!.json()) as { id: string; status: string };
    expect(order.status).toBe("placed");
    const cancel = await fetch(`${orders.url}/orders/${order.id}/cancel`, { method: "POST", headers: buyer(winner) });
    expect(cancel.status).toBe(200);
    expect(((await cancel.json()) as { status: string }).status).toBe("cancelled");
    expect(await stockOf(mug)).toBe(1);
    await orders.stop();
  }, 120_000);

  test("orders killed between the reservation and its commit leaves stock consistent after a restart", async () => {
    const tea = await createProduct("TEA-FAULT", 5);
    const doomed = await startOrders({ [killAfterReserveVar]: "1" });
    const cut = await place(doomed.url, tea, 0).then(
      (r) => r.status,
      () => "connection closed",
    );
    expect(cut).toBe("connection closed");
    expect(await doomed.exited).toBe(137);
    // Catalog holds the stock of an order that orders never confirmed.
    expect(await stockOf(tea)).toBe(4);
    const [stuck] = await sql`select id, status from orders.orders where status = 'pending'`;
    expect(stuck).toBeDefined();

    const orders = await startOrders();
    const settled = async () => {
      const [row] = await sql`select status, stock_released from orders.orders where id = ${stuck!.id}`;
      return row?.stock_released === true;
    };
    // The sweeper releases in catalog first and records it after: wait for both.
    const deadline = Date.now() + 15_000;
    while (((await stockOf(tea)) !== 5 || !(await settled())) && Date.now() < deadline) await Bun.sleep(100);
    expect(await stockOf(tea)).toBe(5);
    const [after] = await sql`select status, stock_released from orders.orders where id = ${stuck!.id}`;
    expect(after).toEqual({ status: "rejected", stock_released: true });
    // The restarted process places orders as usual.
    expect((await place(orders.url, tea, 1)).status).toBe(201);
    expect(await stockOf(tea)).toBe(4);
    await orders.stop();
  }, 120_000);

  test("a keyed placement killed between the reservation and its commit leaves no order, and the stock comes back", async () => {
    const cake = await createProduct("CAKE-FAULT", 5);
    const keyed = (url: string) =>
      fetch(`${url}/orders`, {
        method: "POST",
        headers: { ...buyer(2), "idempotency-key": '"cake-1"' },
        body: JSON.stringify({ lines: [{ productId: cake, quantity: 1 }] }),
      });
    const doomed = await startOrders({ [killAfterReserveVar]: "1" });
    const cut = await keyed(doomed.url).then(
      (r) => r.status,
      () => "connection closed",
    );
    expect(cut).toBe("connection closed");
    expect(await doomed.exited).toBe(137);
    // The order, written inside the key's transaction, died with it; catalog still holds its stock.
    expect(await stockOf(cake)).toBe(4);
    const ordersOfCake = sql`select o.id from orders.orders o join orders.order_lines l on l.order_id = o.id
      where l.product_id = ${cake}`;
    expect((await ordersOfCake).length).toBe(0);
    const heldForCake = async () =>
      (
        await sql`select order_id from catalog.stock_reservations
          where status = 'held' and lines @> ${sql.json([{ productId: cake }])}`
      ).length;
    expect(await heldForCake()).toBe(1);

    const orders = await startOrders();
    const deadline = Date.now() + 15_000;
    while ((await stockOf(cake)) !== 5 && Date.now() < deadline) await Bun.sleep(100);
    expect(await stockOf(cake)).toBe(5);
    expect(await heldForCake()).toBe(0);
    // The key was not kept, so its retry places the order afresh.
    const retry = await keyed(orders.url);
    expect(retry.status).toBe(201);
    expect(retry.headers.get("idempotent-replayed")).toBeNull();
    expect(await stockOf(cake)).toBe(4);
    // Once old enough, the reservations of placed orders are marked kept, so the sweep lists them no more.
    const unkept = async () =>
      (
        await sql`select r.order_id from catalog.stock_reservations r join orders.orders o on o.id = r.order_id
          where o.status = 'placed' and r.status = 'held' and r.kept_at is null`
      ).length;
    const keptBy = Date.now() + 15_000;
    while ((await unkept()) > 0 && Date.now() < keptBy) await Bun.sleep(100);
    expect(await unkept()).toBe(0);
    await orders.stop();
  }, 120_000);
});
