// Integration: the orders service (orders.module.ts wiring, real PostgreSQL) calling a stand-in catalog over a
// private NATS server: placing stores catalog's current prices; with catalog
// stopped or too slow, placing answers 503 within the configured timeout and the orders tables are
// unchanged; with catalog back, the breaker lets calls through again.
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { connect, headers, type NatsConnection } from "@nats-io/transport-node";
import { createDatabase, type Database } from "@shared/db";
import { natsBus, serveOverNats } from "@shared/endpoint";
import type { RunningService } from "@shared/service";
import { catalogStandIn, createTestDatabase, type TestDatabase } from "@shared/testing";
import { type PrivateNats, privateNatsAvailable, startPrivateNats } from "@shared/testing/nats-server.ts";
import pino from "pino";
import { ordersConfigSchema } from "../src/config.ts";
import { startOrders } from "../src/orders.module.ts";

const timeoutMs = 400;
const openMs = 300;
const margin = 250;
const alice = "0190d9a4-6b1e-7c3a-9f51-0000000000a1";
const mug = "0190d9a4-6b1e-7c3a-9f51-00000000f001";
const tea = "0190d9a4-6b1e-7c3a-9f51-00000000f002";
const asAlice = { "x-user-id": alice, "x-user-roles": "user", "content-type": "application/json" };
const silent = pino({ level: "silent" });

/** The stand-in catalog: a product table, an optional delay, and start/stop of its NATS responder. */
function standInCatalog(nc: NatsConnection) {
  const standIn = catalogStandIn([
    { id: mug, sku: "MUG", name: "Mug", priceMinor: 1250, currency: "EUR", stock: 100, active: true },
    { id: tea, sku: "TEA", name: "Tea", priceMinor: 399, currency: "EUR", stock: 100, active: true },
  ]);
  let served: { stop(): Promise<unknown> } | null = null;
  return {
    products: standIn.products,
    state: standIn,
    async start() {
      served = await serveOverNats({
        nc,
        service: { name: "catalog", version: "0.0.0-standin" },
        endpoints: standIn.endpoints,
        logger: silent,
      });
    },
    async stop() {
      await served?.stop();
      served = null;
    },
  };
}

const skip = !privateNatsAvailable();

describe.skipIf(skip)("orders calling catalog over a private NATS server", () => {
  let nats: PrivateNats;
  let tdb: TestDatabase;
  let database: Database;
  let ordersNc: NatsConnection;
  let catalogNc: NatsConnection;
  let catalog: ReturnType<typeof standInCatalog>;
  let orders: RunningService;
  let base: string;

  beforeAll(async () => {
    nats = await startPrivateNats();
    tdb = await createTestDatabase({ prefix: "orders_catalog" });
    database = createDatabase({
      url: tdb.url,
      schema: "orders",
      pool: { max: 4, idleTimeoutSec: 5, connectTimeoutSec: 5 },
    });
    ordersNc = await connect({ servers: nats.url, name: "orders-test" });
    catalogNc = await connect({ servers: nats.url, name: "catalog-standin" });
    catalog = standInCatalog(catalogNc);
    await catalog.start();
    const config = ordersConfigSchema.parse({
      http: { host: "127.0.0.1", port: 0, drainMs: 1000 },
      db: { url: tdb.url },
      log: { level: "silent" },
      catalog: { timeoutMs, retries: 1, breaker: { failureThreshold: 3, openMs } },
    });
    orders = await startOrders({
      config,
      logger: silent,
      version: "9.9.9-test",
      database,
      bus: natsBus(ordersNc, silent),
    });
    base = `http://127.0.0.1:${orders.url.port}`;
  }, 30_000);

  afterAll(async () => {
    await orders?.stop();
    await catalog?.stop();
    await ordersNc?.close();
    await catalogNc?.close();
    await database?.close();
    await tdb?.drop();
    await nats?.stop();
  });

  const place = (lines: { productId: string; quantity: number }[]) =>
    fetch(`${base}/orders`, { method: "POST", headers: asAlice, body: JSON.stringify({ lines }) });

  async function tables() {
    const orderRows = await database.sql`select * from orders.orders order by id`;
    const lineRows = await database.sql`select * from orders.order_lines order by order_id, line_no`;
    return { orders: [...orderRows], lines: [...lineRows] };
  }

  /** Places an order while timing it; the answer must be a 503 problem within the budget. */
  async function expectFastUnavailable() {
    const started = performance.now();
    const res = await place([{ productId: mug, quantity: 1 }]);
    const elapsed = performance.now() - started;
    expect(res.status).toBe(503);
    expect(res.headers.get("content-type")).toBe("application/problem+json");
    expect(((await res.json()) as { code: string }).code).toBe("unavailable");
    expect(elapsed).toBeLessThan(timeoutMs + margin);
    return elapsed;
  }

  async function placeUntilCreated(): Promise<Response> {
    const deadline = Date.now() + openMs * 5 + 2_000;
    for (;;) {
      const res = await place([{ productId: mug, quantity: 1 }]);
      if (res.status === 201 || Date.now() > deadline) return res;
      await Bun.sleep(50);
    }
  }

  test("placing an order stores catalog's current prices, and a later price change does not touch it", async () => {
    const res = await place([
      { productId: mug, quantity: 2 },
      { productId: tea, quantity: 1 },
    ]);
    expect(res.status).toBe(201);
    const order = (await res.json()) as { id: string; totalMinor: number };
    expect(order.totalMinor).toBe(2 * 1250 + 399);
    const rows = await database.sql`select product_id, quantity, unit_price_minor from orders.order_lines
      where order_id = ${order.id} order by line_no`;
    expect([...rows]).toEqual([
      { product_id: mug, quantity: 2, unit_price_minor: "1250" },
      { product_id: tea, quantity: 1, unit_price_minor: "399" },
    ]);

    catalog.products.set(mug, { ...catalog.products.get(mug)!, priceMinor: 1500 });
    const second = (await (await place([{ productId: mug, quantity: 1 }])).json()) as {
      id: string;
      totalMinor: number;
    };
    expect(second.totalMinor).toBe(1500);
    const first = (await (await fetch(`${base}/orders/${order.id}`, { headers: asAlice })).json()) as {
      totalMinor: number;
    };
    expect(first.totalMinor).toBe(2 * 1250 + 399);
  });

  test("with catalog stopped, placing answers 503 within the timeout and writes nothing", async () => {
    const before = await tables();
    await catalog.stop();
    // Enough attempts to open the breaker: later ones are refused without asking NATS at all.
    for (let i = 0; i < 4; i++) await expectFastUnavailable();
    expect(await tables()).toEqual(before);
  });

  test("with catalog back, placing works again once the breaker lets a trial call through", async () => {
    await catalog.start();
    const res = await placeUntilCreated();
    expect(res.status).toBe(201);
  });

  test("with catalog too slow, placing answers 503 within the timeout and writes nothing", async () => {
    const before = await tables();
    catalog.state.delayMs = timeoutMs * 3;
    try {
      const elapsed = await expectFastUnavailable();
      expect(elapsed).toBeGreaterThanOrEqual(timeoutMs - 50);
      // The late reply arrives after we gave up; it must not produce an order either.
      await Bun.sleep(timeoutMs * 3);
      expect(await tables()).toEqual(before);
    } finally {
      catalog.state.delayMs = 0;
    }
    expect((await placeUntilCreated()).status).toBe(201);
  });

  test("orders.get over NATS answers like GET /orders/{id}, errors included; $SRV.INFO lists it", async () => {
    const created = (await (await place([{ productId: tea, quantity: 3 }])).json()) as { id: string };
    const h = headers();
    h.set("x-user-id", alice);
    h.set("x-user-roles", "user");
    const ok = await catalogNc.request("orders.get", JSON.stringify({ id: created.id }), { timeout: 2000, headers: h });
    const http = await (await fetch(`${base}/orders/${created.id}`, { headers: asAlice })).json();
    expect(ok.json()).toEqual(http);
    const other = headers();
    other.set("x-user-id", "0190d9a4-6b1e-7c3a-9f51-0000000000b0");
    const hidden = await catalogNc.request("orders.get", JSON.stringify({ id: created.id }), {
      timeout: 2000,
      headers: other,
    });
    expect(hidden.headers?.get("Nats-Service-Error-Code")).toBe("404");
    const info = (await catalogNc.request("$SRV.INFO.orders", "", { timeout: 2000 })).json() as {
      endpoints: { subject: string }[];
    };
    expect(info.endpoints.map((e) => e.subject)).toEqual(["orders.get"]);
  });
});
