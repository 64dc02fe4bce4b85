// End-to-end: the compiled catalog binary, copied alone into an empty folder, against a fresh database:
// the smoke test every service passes, then bad input that must leave the tables unchanged.
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { Validator } from "@seriousme/openapi-schema-validator";
import { createTestDatabase, parsePrometheusText, type TestDatabase } from "@shared/testing";
import { buildService, copyAlone, type RunningBinary, startBinary } from "@shared/testing/binary.ts";
import postgres from "postgres";

// One version for every catalog e2e file, so they share one build.
const version = "9.8.7-catalog-e2e";
let binary: string;

beforeAll(async () => {
  binary = copyAlone(await buildService("catalog", { version }));
}, 120_000);

function run(args: string[], env: Record<string, string> = {}) {
  const p = Bun.spawnSync([binary, ...args], {
    env: { PATH: process.env.PATH ?? "", ...env },
    cwd: binary.replace(/\/[^/]+$/, ""),
  });
  return { code: p.exitCode, out: p.stdout.toString(), err: p.stderr.toString() };
}

const admin = { "x-user-id": "0190d9a4-6b1e-7c3a-9f51-000000000001", "x-user-roles": "admin" };
const user = { "x-user-id": "0190d9a4-6b1e-7c3a-9f51-0000000000a1", "x-user-roles": "user" };
const json = { "content-type": "application/json" };
const chair = { sku: "CHAIR-1", name: "Chair", priceMinor: 4900, currency: "EUR", stock: 3 };

describe("the catalog binary copied alone", () => {
  let tdb: TestDatabase;
  let app: RunningBinary;
  let sql: postgres.Sql;

  beforeAll(async () => {
    tdb = await createTestDatabase({ prefix: "catalog_bin" });
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

  test("migrate up creates the schema and its table", async () => {
    const r = run(["migrate", "up"], { DATABASE_URL: tdb.url, LOG_LEVEL: "warn" });
    expect(r.code).toBe(0);
    expect(r.out).toContain("0000_init");
    const [t] = await sql`select count(*)::int as n from information_schema.tables
      where table_schema = 'catalog' and table_name = 'products'`;
    expect(t!.n).toBe(1);
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

  test("/metrics parses as Prometheus text with build info and request durations", async () => {
    await fetch(`${app.url}/products?limit=1`);
    const samples = parsePrometheusText(await (await fetch(`${app.url}/metrics`)).text());
    expect(samples.find((s) => s.name === "build_info")?.labels.version).toBe(version);
    expect(
      samples.some((s) => s.name === "http_request_duration_seconds_count" && s.labels.route === "/products"),
    ).toBe(true);
    expect(samples.some((s) => s.name === "process_resident_memory_bytes")).toBe(true);
  });

  test("log lines are JSON naming the TypeScript source of the caller", async () => {
    const line = app.stdout.find((l) => l.includes('"msg":"serving"'));
    expect(line).toBeDefined();
    const parsed = JSON.parse(line!) as Record<string, unknown>;
    expect(parsed).toMatchObject({ level: "info", service: "catalog", version });
    expect(parsed.caller).toMatch(/^services\/catalog\/src\/server\.ts:\d+$/);
  });

  test("an admin creates a product, the public reads it with an ETag and revalidates to 304", async () => {
    const created = await fetch(`${app.url}/products`, {
      method: "POST",
      headers: { ...admin, ...json },
      body: JSON.stringify(chair),
    });
    expect(created.status).toBe(201);
    const location = created.headers.get("location")!;
    const first = await fetch(`${app.url}${location}`);
    expect(first.status).toBe(200);
    expect(first.headers.get("cache-control")).toMatch(/^public, max-age=\d+$/);
    const again = await fetch(`${app.url}${location}`, { headers: { "if-none-match": first.headers.get("etag")! } });
    expect(again.status).toBe(304);
    expect(await again.text()).toBe("");
  });
});

describe("bad input against the catalog binary", () => {
  let tdb: TestDatabase;
  let app: RunningBinary;
  let sql: postgres.Sql;
  let id: string;
  const snapshot = async () => sql`select * from catalog.products order by id`;

  beforeAll(async () => {
    tdb = await createTestDatabase({ prefix: "catalog_bad" });
    sql = postgres(tdb.url, { max: 2, onnotice: () => {} });
    app = await startBinary({ path: binary, args: ["serve"], env: { DATABASE_URL: tdb.url } });
    for (const p of [chair, { ...chair, sku: "LAMP-1", name: "Lamp" }]) {
      const res = await fetch(`${app.url}/products`, {
        method: "POST",
        headers: { ...admin, ...json },
        body: JSON.stringify(p),
      });
      expect(res.status).toBe(201);
    }
    id = ((await (await fetch(`${app.url}/products?q=chair`)).json()) as { items: { id: string }[] }).items[0]!.id;
  });
  afterAll(async () => {
    await app.stop();
    await sql.end();
    await tdb.drop();
  });

  const create = (body: string, headers: Record<string, string> = { ...admin, ...json }) => ({
    method: "POST",
    headers,
    body,
  });
  const change = (body: string, headers: Record<string, string> = { ...admin, ...json }) => ({
    method: "PATCH",
    headers,
    body,
  });
  const cases: [string, () => string, RequestInit, number, string][] = [
    ["malformed JSON", () => "/products", create("{nope"), 400, "invalid_argument"],
    ["a wrong type", () => "/products", create(JSON.stringify({ ...chair, stock: "3" })), 400, "invalid_argument"],
    [
      "a negative price",
      () => "/products",
      create(JSON.stringify({ ...chair, sku: "N", priceMinor: -1 })),
      400,
      "invalid_argument",
    ],
    ["a negative stock", () => `/products/${id}`, change('{"stock":-1}'), 400, "invalid_argument"],
    ["a bad currency", () => `/products/${id}`, change('{"currency":"XXY"}'), 400, "invalid_argument"],
    ["a duplicate sku", () => "/products", create(JSON.stringify({ ...chair, sku: "lamp-1" })), 409, "conflict"],
    ["a sku taken by another product", () => `/products/${id}`, change('{"sku":"LAMP-1"}'), 409, "conflict"],
    ["an unknown id", () => "/products/0190d9a4-6b1e-7c3a-9f51-00000000ffff", change('{"stock":1}'), 404, "not_found"],
    [
      "a non-admin write",
      () => `/products/${id}`,
      change('{"stock":0}', { ...user, ...json }),
      403,
      "permission_denied",
    ],
    ["a write with no identity", () => "/products", create(JSON.stringify(chair), json), 401, "unauthenticated"],
    [
      "a stale If-Match",
      () => `/products/${id}`,
      change('{"stock":0}', { ...admin, ...json, "if-match": '"v0"' }),
      412,
      "precondition_failed",
    ],
    [
      "a stale If-Match on deactivate",
      () => `/products/${id}/deactivate`,
      { method: "POST", headers: { ...admin, "if-match": '"v7"' } },
      412,
      "precondition_failed",
    ],
    [
      "a wrong content type",
      () => "/products",
      create("sku=x", { ...admin, "content-type": "text/plain" }),
      415,
      "unsupported_media_type",
    ],
    [
      "a 2 MiB body",
      () => "/products",
      create(JSON.stringify({ ...chair, description: "x".repeat(2 * 1024 * 1024) })),
      413,
      "payload_too_large",
    ],
    ["a bad batch", () => "/products/batch-get", create('{"ids":["nope"]}', json), 400, "invalid_argument"],
  ];

  for (const [name, path, init, status, code] of cases) {
    test(`${name} answers ${status} problem+json and changes nothing`, async () => {
      const before = await snapshot();
      const res = await fetch(`${app.url}${path()}`, init);
      expect(res.status).toBe(status);
      expect(res.headers.get("content-type")).toBe("application/problem+json");
      const body = (await res.json()) as { code: string; status: number; requestId: string };
      expect(body.code).toBe(code);
      expect(body.status).toBe(status);
      expect(body.requestId).toBe(res.headers.get("x-request-id")!);
      expect(await snapshot()).toEqual(before);
    });
  }

  test("no request of the suite was answered with a 5xx or logged as an error", () => {
    const errors = app.stdout.filter((l) => /"status":5\d\d/.test(l) || /"level":"(error|fatal)"/.test(l));
    expect(errors).toEqual([]);
  });
});
