// One order through the compiled shop, traced end to end: every binary exports its spans to an OTLP
// receiver in this test (the gateway and orders over JSON, the others over protobuf), and the order is
// one trace from the client's traceparent down to catalog's database and the notifier's consumer.
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { join } from "node:path";
import type { ReceivedSpan } from "@shared/telemetry/testing.ts";
import { startOtlpReceiver } from "@shared/telemetry/testing.ts";
import { createTestDatabase, natsForTests, natsTestUrl, type TestDatabase } from "@shared/testing";
import { buildService, copyAlone, freePort, type RunningBinary, startBinary } from "@shared/testing/binary.ts";
import { gatewayClient } from "./client.ts";

const withNats = await natsForTests();
const config = join(import.meta.dir, "..", "gateway.json");
const admin = { email: "root@trace.test", password: "a long admin password 1" };
const receiver = startOtlpReceiver();
const traceId = "5af7651916cd43dd8448eb211c80319c";
const clientSpan = "b7ad6b7169203331";
const apps: Record<string, RunningBinary> = {};
let tdb: TestDatabase;
let gateway = "";

const otel = (protocol: string, extra: Record<string, string> = {}) => ({
  OTEL_EXPORTER_OTLP_ENDPOINT: receiver.url,
  OTEL_EXPORTER_OTLP_PROTOCOL: protocol,
  OTEL_BSP_SCHEDULE_DELAY: "100",
  ...extra,
});

async function start(name: string, args: string[], env: Record<string, string>) {
  const app = await startBinary({ path: copyAlone(await buildService(name)), args, env, timeoutMs: 40_000 });
  apps[name] = app;
  return app;
}

beforeAll(async () => {
  if (!withNats) return;
  tdb = await createTestDatabase({ prefix: "trace" });
  const common = { DATABASE_URL: tdb.url, NATS_URL: natsTestUrl, LOG_LEVEL: "info" };
  const auth = await start(
    "auth",
    ["serve", `--bootstrapAdmin.email=${admin.email}`, `--bootstrapAdmin.password=${admin.password}`],
    { ...common, ...otel("http/protobuf") },
  );
  const [users, catalog, orders, notifier] = await Promise.all([
    start("users", ["serve"], { ...common, ...otel("http/protobuf") }),
    // catalog holds its spans until shutdown: they reach the receiver only if SIGTERM flushes them
    start("catalog", ["serve"], { ...common, ...otel("http/protobuf", { OTEL_BSP_SCHEDULE_DELAY: "600000" }) }),
    start("orders", ["serve"], { ...common, ...otel("http/json") }),
    start("notifier", ["serve"], { ...common, ...otel("http/protobuf") }),
  ]);
  const port = await freePort();
  const gw = await startBinary({
    path: copyAlone(await buildService("gateway")),
    args: ["serve", "-c", config],
    port,
    readyPaths: ["/__health"],
    env: {
      GATEWAY_PORT: String(port),
      GATEWAY_METRICS_ADDRESS: `127.0.0.1:${await freePort()}`,
      NATS_URL: natsTestUrl,
      LOG_LEVEL: "info",
      AUTH_URL: auth.url,
      USERS_URL: users!.url,
      CATALOG_URL: catalog!.url,
      ORDERS_URL: orders!.url,
      NOTIFIER_URL: notifier!.url,
      ...otel("http/json"),
    },
  });
  apps.gateway = gw;
  gateway = gw.url;
}, 300_000);

afterAll(async () => {
  for (const app of Object.values(apps).reverse()) await app.stop();
  await tdb?.drop();
  await receiver.stop();
});

const api = gatewayClient(() => gateway);

const login = async (email: string, password: string) =>
  (await api("POST", "/api/auth/login", { body: { email, password } })).body.access_token as string;

const inTrace = (spans: ReceivedSpan[]) => spans.filter((s) => s.traceId === traceId);
const one = (spans: ReceivedSpan[], service: string, where: (s: ReceivedSpan) => boolean) => {
  const found = spans.filter((s) => s.service === service && where(s));
  expect(found.length).toBe(1);
  return found[0]!;
};
const childrenOf = (spans: ReceivedSpan[], parent: ReceivedSpan) =>
  spans.filter((s) => s.parentSpanId === parent.spanId);
const descendantsOf = (spans: ReceivedSpan[], root: ReceivedSpan): ReceivedSpan[] =>
  childrenOf(spans, root).flatMap((c) => [c, ...descendantsOf(spans, c)]);

/** JSON log lines of a binary that carry the given trace id. */
const linesOf = (app: RunningBinary) =>
  app.stdout.flatMap((l) => {
    try {
      return [JSON.parse(l) as Record<string, unknown>];
    } catch {
      return [];
    }
  });

describe.skipIf(!withNats)("an order traced through the compiled shop", () => {
  let orderId = "";
  let catalogMetrics = "";

  test("placing an order with a client traceparent gives one trace, from the gateway to catalog's database", async () => {
    await api("POST", "/api/auth/register", { body: { email: "ann@trace.test", password: "correct horse battery" } });
    const ann = await login("ann@trace.test", "correct horse battery");
    const adminToken = await login(admin.email, admin.password);
    const product = await api("POST", "/api/products", {
      token: adminToken,
      body: { sku: "MUG-T", name: "mug", description: "", priceMinor: 1250, currency: "EUR", stock: 10 },
    });
    expect(product.status).toBe(201);
    const placed = await api("POST", "/api/orders", {
      token: ann,
      headers: { traceparent: `00-${traceId}-${clientSpan}-01`, tracestate: "shop=e2e" },
      body: { lines: [{ productId: product.body.id, quantity: 1 }] },
    });
    expect(placed.status).toBe(201);
    orderId = placed.body.id;
    catalogMetrics = await (await fetch(`${apps.catalog!.url}/metrics`)).text();
    // catalog exports only at shutdown: SIGTERM right after the request must still deliver its spans
    expect(await apps.catalog!.stop()).toBe(0);

    const spans = inTrace(
      await receiver.waitFor(
        (all) =>
          inTrace(all).some((s) => s.service === "catalog") &&
          inTrace(all).some((s) => s.service === "notifier" && s.kind === 5),
        20_000,
      ),
    );
    const gwServer = one(spans, "gateway", (s) => s.kind === 2);
    expect(gwServer.parentSpanId).toBe(clientSpan);
    expect(gwServer.name).toBe("POST /api/orders");
    const gwClient = one(spans, "gateway", (s) => s.kind === 3);
    expect(gwClient.parentSpanId).toBe(gwServer.spanId);
    const ordersServer = one(spans, "orders", (s) => s.kind === 2 && s.name === "POST /orders");
    expect(ordersServer.parentSpanId).toBe(gwClient.spanId);
    expect(ordersServer.traceState).toBe("shop=e2e");
    const place = one(spans, "orders", (s) => s.name === "orders.place");
    expect(place.parentSpanId).toBe(ordersServer.spanId);
    const natsClient = one(spans, "orders", (s) => s.kind === 3 && s.name === "catalog.products.get");
    expect(descendantsOf(spans, place)).toContain(natsClient);
    const catalogEndpoint = one(spans, "catalog", (s) => s.name === "catalog.products.get");
    expect(catalogEndpoint.kind).toBe(2);
    expect(catalogEndpoint.parentSpanId).toBe(natsClient.spanId);
    const catalogDb = descendantsOf(spans, catalogEndpoint).filter(
      (s) => s.attributes["db.system.name"] === "postgresql",
    );
    expect(catalogDb.length).toBeGreaterThan(0);
    for (const q of catalogDb) expect(String(q.attributes["db.query.text"])).not.toContain("MUG-T");
    const ordersDb = descendantsOf(spans, place).filter((s) => s.attributes["db.system.name"] === "postgresql");
    expect(ordersDb.some((s) => s.name === "transaction")).toBe(true);
    const send = one(spans, "orders", (s) => s.kind === 4 && s.name === "send orders.order.placed");
    expect(descendantsOf(spans, place)).toContain(send);
    const consumed = one(spans, "notifier", (s) => s.kind === 5 && s.name === "process orders.order.placed");
    expect(consumed.parentSpanId).toBe(send.spanId);
    // both encodings arrived
    expect(receiver.contentTypes.some((t) => t.includes("json"))).toBe(true);
    expect(receiver.contentTypes.some((t) => t.includes("protobuf"))).toBe(true);
  }, 60_000);

  test("every service's log lines of that request carry its trace id and their own span id", async () => {
    const spans = inTrace(receiver.spans);
    for (const name of ["gateway", "orders", "catalog"]) {
      // access lines are buffered for up to 200 ms
      await apps[name]!.waitForLine(new RegExp(`"trace_id":"${traceId}"`), 5_000);
      const lines = linesOf(apps[name]!).filter((l) => l.trace_id === traceId);
      expect(lines.length).toBeGreaterThan(0);
      const ids = new Set(spans.filter((s) => s.service === name).map((s) => s.spanId));
      for (const line of lines) expect(ids.has(String(line.span_id))).toBe(true);
    }
    const ordersAccess = linesOf(apps.orders!).find((l) => l.trace_id === traceId && l.msg === "request");
    expect(ordersAccess?.span_id).toBe(spans.find((s) => s.service === "orders" && s.name === "POST /orders")?.spanId);
    expect(orderId).not.toBe("");
  });

  test("calls served over NATS are counted with transport nats, HTTP ones with transport http", async () => {
    expect(catalogMetrics).toMatch(
      /endpoint_request_duration_seconds_count\{[^}]*endpoint="catalog.products.get"[^}]*transport="nats"[^}]*code="ok"/,
    );
    const orders = await (await fetch(`${apps.orders!.url}/metrics`)).text();
    expect(orders).toMatch(
      /endpoint_request_duration_seconds_count\{[^}]*endpoint="orders.place"[^}]*transport="http"/,
    );
    expect(orders).toContain("otel_spans_dropped_total");
  });
});

describe("telemetry settings a binary refuses", () => {
  test("an unknown sampler stops the service with a message naming the key", async () => {
    const bin = copyAlone(await buildService("users"));
    const proc = Bun.spawnSync([bin, "serve"], {
      env: { PATH: process.env.PATH, OTEL_TRACES_SAMPLER: "sometimes", DATABASE_URL: "postgres://127.0.0.1:1/x" },
    });
    expect(proc.exitCode).toBe(2);
    expect(proc.stderr.toString()).toContain("telemetry.sampler");
  }, 120_000);

  test("a malformed endpoint URL stops the gateway with a message naming the key", async () => {
    const bin = copyAlone(await buildService("gateway"));
    const proc = Bun.spawnSync([bin, "serve", "-c", config], {
      env: {
        PATH: process.env.PATH,
        OTEL_EXPORTER_OTLP_ENDPOINT: "collector:4318",
        GATEWAY_PORT: String(await freePort()),
      },
    });
    expect(proc.exitCode).toBe(2);
    expect(proc.stderr.toString()).toContain("telemetry.endpoint");
  }, 120_000);
});
