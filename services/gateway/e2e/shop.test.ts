// The whole shop behind the gateway, as ops run it: every service's compiled binary and the gateway's,
// each copied alone, on one fresh database (a schema each) and the real NATS, with the repository's
// gateway.json. Everything a client does goes through the gateway's one port.
// With SHOP_URL set (e.g. `docker compose up` and SHOP_URL=http://127.0.0.1:8080, SHOP_ADMIN_EMAIL and
// SHOP_ADMIN_PASSWORD as given to compose, SHOP_METRICS_URL for the gateway's metrics listener, default
// http://127.0.0.1:8090), the same steps run against that running stack instead; the names each run
// creates are its own, so a stack can be checked again and again.
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { join } from "node:path";
import { createTestDatabase, natsForTests, natsTestUrl, type TestDatabase } from "@shared/testing";
import { buildService, copyAlone, freePort, type RunningBinary, startBinary } from "@shared/testing/binary.ts";
import { gatewayClient } from "./client.ts";

const stack = process.env.SHOP_URL ?? "";
const withNats = stack !== "" || (await natsForTests());
const config = join(import.meta.dir, "..", "gateway.json");
const admin = stack
  ? { email: process.env.SHOP_ADMIN_EMAIL ?? "", password: process.env.SHOP_ADMIN_PASSWORD ?? "" }
  : { email: "root@shop.test", password: "a long admin password 1" };
// this run's own users and SKUs
const run = Date.now().toString(36);
const aliceEmail = `alice-${run}@shop.test`;
const bobEmail = `bob-${run}@shop.test`;
let tdb: TestDatabase;
const running: RunningBinary[] = [];
let gateway = "";
/** The gateway's metrics listener (`telemetry/metrics` in gateway.json): not on its public port. */
let metricsUrl = "";

async function start(name: string, args: string[], env: Record<string, string>) {
  const app = await startBinary({ path: copyAlone(await buildService(name)), args, env, timeoutMs: 40_000 });
  running.push(app);
  return app;
}

beforeAll(async () => {
  if (stack) {
    gateway = stack.replace(/\/$/, "");
    metricsUrl = (process.env.SHOP_METRICS_URL ?? "http://127.0.0.1:8090").replace(/\/$/, "");
    return;
  }
  if (!withNats) return;
  tdb = await createTestDatabase({ prefix: "shop" });
  const common = { DATABASE_URL: tdb.url, NATS_URL: natsTestUrl, LOG_LEVEL: "warn" };
  const auth = await start(
    "auth",
    ["serve", `--bootstrapAdmin.email=${admin.email}`, `--bootstrapAdmin.password=${admin.password}`],
    common,
  );
  const [users, catalog, orders, notifier] = await Promise.all([
    start("users", ["serve"], common),
    start("catalog", ["serve"], common),
    start("orders", ["serve"], common),
    start("notifier", ["serve"], common),
  ]);
  const port = await freePort();
  const metricsPort = await freePort();
  metricsUrl = `http://127.0.0.1:${metricsPort}`;
  const gw = await startBinary({
    path: copyAlone(await buildService("gateway")),
    args: ["serve", "-c", config],
    port,
    readyPaths: ["/__health"],
    env: {
      GATEWAY_PORT: String(port),
      GATEWAY_METRICS_ADDRESS: `127.0.0.1:${metricsPort}`,
      NATS_URL: natsTestUrl,
      LOG_LEVEL: "warn",
      AUTH_URL: auth.url,
      USERS_URL: users!.url,
      CATALOG_URL: catalog!.url,
      ORDERS_URL: orders!.url,
      NOTIFIER_URL: notifier!.url,
    },
  });
  running.push(gw);
  gateway = gw.url;
}, 240_000);

afterAll(async () => {
  for (const app of running.reverse()) await app.stop();
  await tdb?.drop();
});

const api = gatewayClient(() => gateway);

async function login(email: string, password: string): Promise<string> {
  const res = await api("POST", "/api/auth/login", { body: { email, password } });
  expect(res.status).toBe(200);
  return res.body.access_token;
}

/** A token whose signature decodes to the same bytes: the unused low bits of its last character set. */
function respelled(token: string): string {
  const alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
  return token.slice(0, -1) + alphabet[alphabet.indexOf(token.at(-1)!) | 1];
}

async function eventually<T>(fn: () => Promise<T>, ok: (v: T) => boolean, ms = 3000): Promise<T> {
  const deadline = Date.now() + ms;
  for (;;) {
    const v = await fn();
    if (ok(v) || Date.now() > deadline) return v;
    await Bun.sleep(50);
  }
}

describe.skipIf(!withNats)("the shop through the gateway", () => {
  let alice = "";
  let aliceId = "";
  let adminToken = "";
  const products: string[] = [];
  let orderId = "";

  test("anyone registers and logs in; the rest needs a token", async () => {
    const reg = await api("POST", "/api/auth/register", {
      body: { email: aliceEmail, password: "correct horse battery" },
    });
    expect(reg.status).toBe(201);
    aliceId = reg.body.id;
    alice = await login(aliceEmail, "correct horse battery");
    adminToken = await login(admin.email, admin.password);
    expect((await api("GET", "/api/me")).status).toBe(401);
    expect((await api("GET", "/api/me", { token: `${alice}x` })).status).toBe(401);
    // the same signature bytes spelled with other unused bits in its last character: refused, though cached
    expect((await api("GET", "/api/me", { token: alice })).status).toBe(200);
    expect((await api("GET", "/api/me", { token: respelled(alice) })).status).toBe(401);
  });

  test("an admin adds products; a user may not", async () => {
    for (const [sku, price] of [
      [`MUG-${run}`, 1250],
      [`TEE-${run}`, 2500],
    ] as const) {
      const res = await api("POST", "/api/products", {
        token: adminToken,
        body: { sku, name: sku, description: "", priceMinor: price, currency: "EUR", stock: 10 },
      });
      expect(res.status).toBe(201);
      products.push(res.body.id);
    }
    const denied = await api("POST", "/api/products", {
      token: alice,
      body: { sku: "X-1", name: "x", description: "", priceMinor: 1, currency: "EUR", stock: 1 },
    });
    expect(denied.status).toBe(403);
  });

  test("a user places an order at catalog's prices", async () => {
    const res = await api("POST", "/api/orders", {
      token: alice,
      body: {
        lines: [
          { productId: products[0], quantity: 2 },
          { productId: products[1], quantity: 1 },
        ],
      },
    });
    expect(res.status).toBe(201);
    expect(res.body.totalMinor).toBe(2 * 1250 + 2500);
    orderId = res.body.id;
  });

  test("/api/me merges the profile (created from the registration event) with the order history", async () => {
    const me = await eventually(
      () => api("GET", "/api/me", { token: alice }),
      (r) => r.headers.get("x-krakend-completed") === "true",
    );
    expect(me.status).toBe(200);
    expect(me.body.profile).toMatchObject({ id: aliceId, email: aliceEmail });
    expect(me.body.orders.items.map((o: { id: string }) => o.id)).toEqual([orderId]);
  });

  test("the gateway's metrics are not on its public port", async () => {
    expect((await api("GET", "/metrics")).status).toBe(404);
    expect(await (await fetch(`${metricsUrl}/metrics`)).text()).toContain("gateway_request_duration_seconds");
  });

  test("identity headers sent by a client are replaced by the token's", async () => {
    const me = await api("GET", "/api/me", {
      token: alice,
      headers: { "x-user-id": "0190d9a4-6b1e-7c3a-9f51-0000000000b0", "x-user-roles": "admin" },
    });
    expect(me.body.profile.id).toBe(aliceId);
    expect((await api("GET", "/api/users", { token: alice, headers: { "x-user-roles": "admin" } })).status).toBe(403);
  });

  test("the order details route fetches the order, then its products", async () => {
    const res = await api("GET", `/api/orders/${orderId}/details`, { token: alice });
    expect(res.status).toBe(200);
    expect(res.body.id).toBe(orderId);
    expect(JSON.stringify(res.body)).toContain(`MUG-${run}`);
  });

  test("another user cannot see or cancel the order", async () => {
    await api("POST", "/api/auth/register", { body: { email: bobEmail, password: "another good password" } });
    const bob = await login(bobEmail, "another good password");
    expect((await api("GET", `/api/orders/${orderId}`, { token: bob })).status).toBe(404);
    expect((await api("POST", `/api/orders/${orderId}/cancel`, { token: bob })).status).toBe(404);
    expect((await api("POST", `/api/orders/${orderId}/cancel`, { token: alice })).status).toBe(200);
  });

  test("anyone browses the catalog without a token; writes stay admin-only", async () => {
    const listing = await api("GET", `/api/products?ids=${products.join(",")}`);
    expect(listing.status).toBe(200);
    expect(listing.headers.get("cache-control")).toBe("public, max-age=30");
    expect(listing.body.items.map((p: { id: string }) => p.id).sort()).toEqual([...products].sort());
    const one = await api("GET", `/api/products/${products[0]}`);
    expect(one.status).toBe(200);
    expect(one.body).toMatchObject({ id: products[0], sku: `MUG-${run}` });
    const draft = { sku: `ANON-${run}`, name: "x", description: "", priceMinor: 1, currency: "EUR", stock: 1 };
    expect((await api("POST", "/api/products", { body: draft })).status).toBe(401);
    expect((await api("PATCH", `/api/products/${products[0]}`, { body: { priceMinor: 1 } })).status).toBe(401);
    expect((await api("POST", `/api/products/${products[0]}/deactivate`)).status).toBe(401);
    expect((await api("GET", "/api/admin/products")).status).toBe(401);
    expect((await api("GET", "/api/admin/products", { token: alice })).status).toBe(403);
  });

  test("the stock read through the gateway follows placing and cancelling (stock changes purge the cache)", async () => {
    const listing = `/api/products?ids=${products[0]}`;
    const stock = (r: { body: { items?: { stock: number }[] } }) => r.body.items?.[0]?.stock;
    const before = stock(await api("GET", listing, { token: alice }))!;
    expect(stock(await api("GET", listing, { token: alice }))).toBe(before);
    const placed = await api("POST", "/api/orders", {
      token: alice,
      body: { lines: [{ productId: products[0], quantity: 3 }] },
    });
    expect(placed.status).toBe(201);
    expect(placed.body.status).toBe("placed");
    const held = await eventually(
      () => api("GET", listing, { token: alice }),
      (r) => stock(r) === before - 3,
    );
    expect(stock(held)).toBe(before - 3);
    expect((await api("POST", `/api/orders/${placed.body.id}/cancel`, { token: alice })).status).toBe(200);
    const back = await eventually(
      () => api("GET", listing, { token: alice }),
      (r) => stock(r) === before,
    );
    expect(stock(back)).toBe(before);
  });

  test("catalog listings are cached at the gateway and purged when a product changes", async () => {
    const hits = async () => {
      const text = await (await fetch(`${metricsUrl}/metrics`)).text();
      return [...text.matchAll(/^gateway_cache_hits_total\{[^}]*\} (\d+)/gm)].reduce((n, m) => n + Number(m[1]), 0);
    };
    // this run's products only: a running stack may hold many more than one page
    const listing = `/api/products?ids=${products.join(",")}`;
    const priceOf = (body: { items?: { id: string; priceMinor: number }[] }) =>
      body.items?.find((p) => p.id === products[0])?.priceMinor;
    const first = await api("GET", listing);
    expect(first.status).toBe(200);
    expect(first.headers.get("cache-control")).toContain("max-age");
    expect(priceOf(first.body)).toBe(1250);
    const before = await hits();
    expect((await api("GET", listing)).body).toEqual(first.body);
    expect(await hits()).toBe(before + 1);
    const changed = await api("PATCH", `/api/products/${products[0]}`, {
      token: adminToken,
      body: { priceMinor: 999 },
    });
    expect(changed.status).toBe(200);
    const after = await eventually(
      () => api("GET", listing),
      (r) => priceOf(r.body) === 999,
    );
    expect(priceOf(after.body)).toBe(999);
  });

  test("an inactive product is hidden from the public catalog and shown on the admin's routes", async () => {
    const off = await api("POST", `/api/products/${products[1]}/deactivate`, { token: adminToken });
    expect(off.status).toBe(200);
    const query = `?ids=${products[1]}`;
    const ids = (r: { body: { items?: { id: string }[] } }) => (r.body.items ?? []).map((p) => p.id);
    // the public answer is cacheable and is stored first; a token there changes nothing (it is not forwarded)
    expect(ids(await api("GET", `/api/products${query}`))).toEqual([]);
    expect(ids(await api("GET", `/api/products${query}`, { token: adminToken }))).toEqual([]);
    expect((await api("GET", `/api/products/${products[1]}`)).status).toBe(404);
    const forAdmin = await api("GET", `/api/admin/products${query}`, { token: adminToken });
    expect(ids(forAdmin)).toEqual([products[1] ?? "missing"]);
    expect(forAdmin.headers.get("cache-control") ?? "").not.toContain("public");
    const oneForAdmin = await api("GET", `/api/admin/products/${products[1]}`, { token: adminToken });
    expect(oneForAdmin.body).toMatchObject({ id: products[1], active: false });
    expect(ids(await api("GET", `/api/products${query}`))).toEqual([]);
  });

  test("a service's error through a shaping route reaches the client as its own problem+json", async () => {
    const problemOf = async (path: string, token: string) => {
      const res = await api("GET", path, { token });
      expect(res.headers.get("content-type")).toContain("application/problem+json");
      return { status: res.status, code: res.body.code };
    };
    expect(await problemOf("/api/products?limit=0", alice)).toEqual({ status: 400, code: "invalid_argument" });
    expect(await problemOf("/api/products?q=a%00b", alice)).toEqual({ status: 400, code: "invalid_argument" });
    const unknown = "00000000-0000-4000-8000-000000000000";
    expect((await problemOf(`/api/products/${unknown}`, alice)).status).toBe(404);
    expect(await problemOf("/api/orders/not-a-uuid/details", alice)).toEqual({ status: 400, code: "invalid_argument" });
  });

  test("the user is notified of the order through the events", async () => {
    const res = await eventually(
      () => api("GET", "/api/notifications", { token: alice }),
      (r) => r.status === 200 && r.body.items?.length >= 2,
    );
    expect(res.status).toBe(200);
    expect(res.body.items.length).toBeGreaterThanOrEqual(2);
  });

  test("a placement retried with its Idempotency-Key through the gateway answers the first order again", async () => {
    const key = crypto.randomUUID();
    const place = (quantity: number) =>
      api("POST", "/api/orders", {
        token: alice,
        headers: { "idempotency-key": `"${key}"` },
        body: { lines: [{ productId: products[0], quantity }] },
      });
    const first = await place(1);
    const retry = await place(1);
    expect([first.status, retry.status]).toEqual([201, 201]);
    expect(retry.body).toEqual(first.body);
    expect(retry.headers.get("idempotent-replayed")).toBe("true");
    expect((await place(2)).status).toBe(422);
  });
});
