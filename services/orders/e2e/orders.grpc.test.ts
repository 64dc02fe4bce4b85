// End-to-end: the compiled catalog and orders binaries on one database, orders calling catalog over gRPC
// (ORDERS_CATALOG_TRANSPORT=grpc) with no NATS at all: placing prices and reserves stock in catalog,
// cancelling gives it back, catalog counts the calls under transport grpc, and both stop on SIGTERM with 0.
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { createTestDatabase, parsePrometheusText, type TestDatabase } from "@shared/testing";
import { buildService, copyAlone, freePort, type RunningBinary, startBinary } from "@shared/testing/binary.ts";

const admin = { "x-user-id": "0190d9a4-6b1e-7c3a-9f51-000000000001", "x-user-roles": "admin" };
const buyer = {
  "x-user-id": "0190d9a4-6b1e-7c3a-9f51-00000000b001",
  "x-user-roles": "user",
  "content-type": "application/json",
};

describe("orders placing orders with catalog over gRPC (binaries)", () => {
  let tdb: TestDatabase;
  let catalog: RunningBinary;
  let orders: RunningBinary;

  beforeAll(async () => {
    tdb = await createTestDatabase({ prefix: "orders_grpc" });
    const [catalogPath, ordersPath] = await Promise.all([
      buildService("catalog").then(copyAlone),
      buildService("orders").then(copyAlone),
    ]);
    const catalogGrpc = await freePort();
    catalog = await startBinary({
      path: catalogPath,
      args: ["serve"],
      timeoutMs: 30_000,
      env: { DATABASE_URL: tdb.url, GRPC_PORT: String(catalogGrpc), LOG_LEVEL: "warn" },
    });
    orders = await startBinary({
      path: ordersPath,
      args: ["serve"],
      timeoutMs: 30_000,
      env: {
        DATABASE_URL: tdb.url,
        LOG_LEVEL: "warn",
        ORDERS_CATALOG_TRANSPORT: "grpc",
        ORDERS_CATALOG_GRPC_URL: `127.0.0.1:${catalogGrpc}`,
      },
    });
  }, 240_000);

  afterAll(async () => {
    await orders?.stop("SIGKILL");
    await catalog?.stop("SIGKILL");
    await tdb?.drop();
  });

  const stockOf = async (id: string) =>
    ((await (await fetch(`${catalog.url}/products/${id}`)).json()) as { stock: number }).stock;

  test("places orders at catalog's price and stock, cancels one back, every call over gRPC", async () => {
    const created = await fetch(`${catalog.url}/products`, {
      method: "POST",
      headers: { ...admin, "content-type": "application/json" },
      body: JSON.stringify({ sku: "GRPC-MUG", name: "Mug", priceMinor: 1250, currency: "EUR", stock: 3 }),
    });
    expect(created.status).toBe(201);
    const mug = ((await created.json()) as { id: string }).id;
    const place = () =>
      fetch(`${orders.url}/orders`, {
        method: "POST",
        headers: buyer,
        body: JSON.stringify({ lines: [{ productId: mug, quantity: 2 }] }),
      });
    const first = await place();
    expect(first.status).toBe(201);
    const order = (await first.json()) as { id: string; status: string; totalMinor: number };
    expect(order).toMatchObject({ status: "placed", totalMinor: 2500 });
    expect(await stockOf(mug)).toBe(1);
    // only 1 left: the second is refused
    expect((await place()).status).toBe(409);
    const cancel = await fetch(`${orders.url}/orders/${order.id}/cancel`, { method: "POST", headers: buyer });
    expect(cancel.status).toBe(200);
    expect(await stockOf(mug)).toBe(3);

    const samples = parsePrometheusText(await (await fetch(`${catalog.url}/metrics`)).text());
    const calls = (endpoint: string, code: string) =>
      samples.find(
        (s) =>
          s.name === "endpoint_request_duration_seconds_count" &&
          s.labels.transport === "grpc" &&
          s.labels.endpoint === endpoint &&
          s.labels.code === code,
      )?.value ?? 0;
    expect(calls("catalog.products.get", "ok")).toBe(2);
    expect(calls("catalog.stock.reserve", "ok")).toBe(1);
    expect(calls("catalog.stock.release", "ok")).toBe(1);
  }, 60_000);

  test("both binaries stop on SIGTERM with exit code 0", async () => {
    expect(await orders.stop("SIGTERM")).toBe(0);
    expect(await catalog.stop("SIGTERM")).toBe(0);
  }, 30_000);
});
