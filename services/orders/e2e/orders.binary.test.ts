// End-to-end: the compiled orders binary, copied alone into an empty folder, against a fresh database.
// The same smoke test as users, plus the bad-input cases of placing an order against the binary.
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { Validator } from "@seriousme/openapi-schema-validator";
import { createTestDatabase, parsePrometheusText, type TestDatabase } from "@shared/testing";
import { buildService, copyAlone, type RunningBinary, startBinary } from "@shared/testing/binary.ts";
import postgres from "postgres";

const version = `9.8.7-e2e.${Date.now().toString(36)}`;
let binary: string;

beforeAll(async () => {
  binary = copyAlone(await buildService("orders", { version }));
}, 180_000);

function run(args: string[], env: Record<string, string> = {}) {
  const p = Bun.spawnSync([binary, ...args], {
    env: { PATH: process.env.PATH ?? "", ...env },
    cwd: binary.replace(/\/[^/]+$/, ""),
  });
  return { code: p.exitCode, out: p.stdout.toString(), err: p.stderr.toString() };
}

const alice = { "x-user-id": "0190d9a4-6b1e-7c3a-9f51-0000000000a1", "x-user-roles": "user" };
const json = { "content-type": "application/json" };
const mug = "0190d9a4-6b1e-7c3a-9f51-00000000f001";

describe("the orders binary copied alone", () => {
  let tdb: TestDatabase;
  let app: RunningBinary;
  let sql: postgres.Sql;
  const snapshot = async () => ({
    orders: [...(await sql`select * from orders.orders order by id`)],
    lines: [...(await sql`select * from orders.order_lines order by order_id, line_no`)],
  });

  beforeAll(async () => {
    tdb = await createTestDatabase({ prefix: "orders_bin" });
    sql = postgres(tdb.url, { max: 2, onnotice: () => {} });
  });
  afterAll(async () => {
    await app?.stop();
    await sql.end();
    await tdb.drop();
  });

  test("prints the version injected at build time", () => {
    expect(run(["--version"]).out.trim()).toBe(version);
    expect(run(["version"]).out.trim()).toBe(version);
  });

  test("refuses to serve without a database URL, saying so", () => {
    const r = run(["serve"]);
    expect(r.code).not.toBe(0);
    expect(r.err).toContain("DATABASE_URL");
  });

  test("config print shows the catalog client's defaults and redacts the database URL", () => {
    const r = run(["config", "print"], { DATABASE_URL: "postgres://u:hunter2@db/x", ORDERS_CATALOG_TIMEOUT_MS: "650" });
    expect(r.code).toBe(0);
    expect(r.out).not.toContain("hunter2");
    expect(r.out).toContain("650");
    expect(r.out).toContain("failureThreshold");
  });

  test("migrate up creates the schema and its tables", async () => {
    const r = run(["migrate", "up"], { DATABASE_URL: tdb.url, LOG_LEVEL: "warn" });
    expect(r.code).toBe(0);
    expect(r.out).toContain("0000_init");
    const [t] = await sql`select count(*)::int as n from information_schema.tables
      where table_schema = 'orders' and table_name in ('orders', 'order_lines')`;
    expect(t!.n).toBe(2);
    expect(run(["migrate", "status"], { DATABASE_URL: tdb.url }).out).toMatch(/^applied\s+0000_init/m);
  });

  test("serve answers /readyz 200", async () => {
    app = await startBinary({ path: binary, args: ["serve"], env: { DATABASE_URL: tdb.url, LOG_LEVEL: "info" } });
    const res = await fetch(`${app.url}/readyz`);
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({ status: "ok", checks: { database: "ok", bus: "ok" } });
  });

  test("/openapi.json is valid OpenAPI 3.1 carrying the build version", async () => {
    const doc = (await (await fetch(`${app.url}/openapi.json`)).json()) as { info: { version: string } };
    const result = await new Validator().validate(doc as Parameters<Validator["validate"]>[0]);
    expect(result.errors).toBeUndefined();
    expect(result.valid).toBe(true);
    expect(doc.info.version).toBe(version);
    expect(JSON.parse(run(["openapi"]).out)).toEqual(doc);
  });

  test("/docs serves Swagger UI from the binary itself", async () => {
    const html = await (await fetch(`${app.url}/docs`)).text();
    const assets = [...html.matchAll(/(?:href|src)="([^"]+)"/g)].map((m) => m[1]!);
    expect(assets.length).toBeGreaterThanOrEqual(2);
    for (const a of assets) {
      expect(a.startsWith("/")).toBe(true);
      const res = await fetch(`${app.url}${a}`);
      expect(res.status).toBe(200);
      expect((await res.arrayBuffer()).byteLength).toBeGreaterThan(1000);
    }
  });

  const bad: [string, RequestInit, number, string][] = [
    ["malformed JSON", { method: "POST", headers: { ...alice, ...json }, body: "{nope" }, 400, "invalid_argument"],
    ["no lines", { method: "POST", headers: { ...alice, ...json }, body: '{"lines":[]}' }, 400, "invalid_argument"],
    [
      "a huge quantity",
      { method: "POST", headers: { ...alice, ...json }, body: `{"lines":[{"productId":"${mug}","quantity":1e9}]}` },
      400,
      "invalid_argument",
    ],
    [
      "a wrong content type",
      { method: "POST", headers: { ...alice, "content-type": "text/plain" }, body: "x" },
      415,
      "unsupported_media_type",
    ],
    [
      "no identity",
      { method: "POST", headers: json, body: `{"lines":[{"productId":"${mug}","quantity":1}]}` },
      401,
      "unauthenticated",
    ],
    [
      "no catalog to price the order (no NATS: the in-process bus has no catalog)",
      { method: "POST", headers: { ...alice, ...json }, body: `{"lines":[{"productId":"${mug}","quantity":1}]}` },
      503,
      "unavailable",
    ],
  ];
  for (const [name, init, status, code] of bad) {
    test(`placing with ${name} answers ${status} problem+json and writes nothing`, async () => {
      const before = await snapshot();
      const res = await fetch(`${app.url}/orders`, init);
      expect(res.status).toBe(status);
      expect(res.headers.get("content-type")).toBe("application/problem+json");
      const body = (await res.json()) as { code: string; requestId: string };
      expect(body.code).toBe(code);
      expect(body.requestId).toBe(res.headers.get("x-request-id")!);
      expect(await snapshot()).toEqual(before);
    });
  }

  test("/metrics parses as Prometheus text with build info and request durations", async () => {
    await fetch(`${app.url}/orders?limit=1`, { headers: alice });
    const samples = parsePrometheusText(await (await fetch(`${app.url}/metrics`)).text());
    expect(samples.find((s) => s.name === "build_info")?.labels.version).toBe(version);
    expect(samples.some((s) => s.name === "http_request_duration_seconds_count" && s.labels.route === "/orders")).toBe(
      true,
    );
    expect(samples.some((s) => s.name === "process_resident_memory_bytes")).toBe(true);
  });

  test("log lines are JSON naming the TypeScript source of the caller", async () => {
    const line = app.stdout.find((l) => l.includes('"msg":"serving"'));
    expect(line).toBeDefined();
    const parsed = JSON.parse(line!) as Record<string, unknown>;
    expect(parsed).toMatchObject({ level: "info", service: "orders", version });
    expect(parsed.caller).toMatch(/^services\/orders\/src\/server\.ts:\d+$/);
  });

  test("SIGTERM stops it with exit code 0", async () => {
    expect(await app.stop("SIGTERM")).toBe(0);
  });
});
