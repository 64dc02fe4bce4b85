// End-to-end: the compiled users binary, copied alone into an empty folder, against a fresh database.
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { Validator } from "@seriousme/openapi-schema-validator";
import { createTestDatabase, parsePrometheusText, type TestDatabase } from "@shared/testing";
import { buildService, copyAlone, type RunningBinary, startBinary } from "@shared/testing/binary.ts";
import postgres from "postgres";

const version = `9.8.7-e2e.${Date.now().toString(36)}`;
let binary: string;

beforeAll(async () => {
  binary = copyAlone(await buildService("users", { version }));
}, 120_000);

function run(args: string[], env: Record<string, string> = {}) {
  const p = Bun.spawnSync([binary, ...args], {
    env: { PATH: process.env.PATH ?? "", ...env },
    cwd: binary.replace(/\/[^/]+$/, ""),
  });
  return { code: p.exitCode, out: p.stdout.toString(), err: p.stderr.toString() };
}

const adminH = { "x-user-id": "0190d9a4-6b1e-7c3a-9f51-000000000001", "x-user-roles": "admin" };

describe("the users binary copied alone", () => {
  let tdb: TestDatabase;
  let app: RunningBinary;
  let sql: postgres.Sql;

  beforeAll(async () => {
    tdb = await createTestDatabase({ prefix: "users_bin" });
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
    const [t] =
      await sql`select count(*)::int as n from information_schema.tables where table_schema = 'users' and table_name = 'profiles'`;
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
    await fetch(`${app.url}/users?limit=1`, { headers: adminH });
    const samples = parsePrometheusText(await (await fetch(`${app.url}/metrics`)).text());
    expect(samples.find((s) => s.name === "build_info")?.labels.version).toBe(version);
    expect(samples.some((s) => s.name === "http_request_duration_seconds_count" && s.labels.route === "/users")).toBe(
      true,
    );
    expect(samples.some((s) => s.name === "process_resident_memory_bytes")).toBe(true);
  });

  test("log lines are JSON naming the TypeScript source of the caller", async () => {
    const line = app.stdout.find((l) => l.includes('"msg":"serving"'));
    expect(line).toBeDefined();
    const parsed = JSON.parse(line!) as Record<string, unknown>;
    expect(parsed).toMatchObject({ level: "info", service: "users", version });
    expect(parsed.caller).toMatch(/^services\/users\/src\/server\.ts:\d+$/);
  });
});
