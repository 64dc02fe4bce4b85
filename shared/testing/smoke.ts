// The smoke test every service binary passes, registered by one call from the service's e2e file.
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { rmSync } from "node:fs";
import { dirname } from "node:path";
import { Validator } from "@seriousme/openapi-schema-validator";
import postgres from "postgres";
import { buildService, copyAlone, freePort, type RunningBinary, startBinary } from "./binary.ts";
import { createTestDatabase, type TestDatabase } from "./db.ts";
import { bufCurl, rpcsOfProto } from "./grpc.ts";
import { parsePrometheusText } from "./prometheus.ts";

/** Options of {@link smokeTestBinary}. */
export interface SmokeTestOptions {
  /** PostgreSQL schema the migrations create (default: the service name). */
  schema?: string;
  /** Extra environment for `serve` (e.g. secrets a service needs to start). */
  env?: Record<string, string>;
  /** A path requested before `/metrics` is read, so a request duration exists for it (default `/openapi.json`). */
  exercisePath?: string;
}

/** What the service's own e2e tests get from the smoke test: the same binary, database and running server. */
export interface SmokeContext {
  readonly version: string;
  readonly binary: string;
  readonly databaseUrl: string;
  readonly app: RunningBinary;
  /** The port of the binary's gRPC listener (`GRPC_PORT`). */
  readonly grpcPort: number;
  /** Runs the copied binary once with a clean environment plus `env`. */
  run(args: string[], env?: Record<string, string>): { code: number; out: string; err: string };
}

/**
 * Builds `services/<name>` with a unique version, copies the binary alone into an empty folder, and
 * registers the checks every service binary must pass: `--version`, no serving without a database URL,
 * `migrate up|status`, `/readyz` 200, `/openapi.json` valid OpenAPI 3.1 with the version (and equal to
 * the `openapi` subcommand), Swagger UI served from the binary, `/metrics` parsable with `build_info`,
 * and JSON logs naming TypeScript sources. Call it at the top level of an e2e file; the server keeps
 * running for the file's other tests.
 *
 * @example
 * const smoke = smokeTestBinary("auth");
 * test("registers", async () => { await fetch(`${smoke.app.url}/auth/register`, ...) });
 */
export function smokeTestBinary(name: string, options: SmokeTestOptions = {}): SmokeContext {
  const schema = options.schema ?? name;
  const version = `9.8.7-e2e.${Date.now().toString(36)}`;
  let binary = "";
  let tdb: TestDatabase | undefined;
  let app: RunningBinary | undefined;
  let grpcPort = 0;
  let sql: postgres.Sql | undefined;

  const run = (args: string[], env: Record<string, string> = {}) => {
    const p = Bun.spawnSync([binary, ...args], { env: { PATH: process.env.PATH ?? "", ...env }, cwd: dirname(binary) });
    return { code: p.exitCode, out: p.stdout.toString(), err: p.stderr.toString() };
  };

  beforeAll(async () => {
    binary = copyAlone(await buildService(name, { version }));
    tdb = await createTestDatabase({ prefix: `${name}_smoke` });
    sql = postgres(tdb.url, { max: 2, onnotice: () => {} });
    // Migrated here rather than by serve, so the serve below proves it starts on a migrated database.
    const migrated = run(["migrate", "up"], { DATABASE_URL: tdb.url, LOG_LEVEL: "warn" });
    if (migrated.code !== 0) throw new Error(`${name} migrate up failed:\n${migrated.out}\n${migrated.err}`);
    grpcPort = await freePort();
    app = await startBinary({
      path: binary,
      args: ["serve"],
      env: { DATABASE_URL: tdb.url, LOG_LEVEL: "info", GRPC_PORT: String(grpcPort), ...options.env },
    });
  }, 180_000);

  afterAll(async () => {
    // Every service stops cleanly on SIGTERM: drained, connections closed, exit code 0.
    if (app) expect(await app.stop("SIGTERM")).toBe(0);
    await sql?.end();
    await tdb?.drop();
    if (binary) rmSync(dirname(binary), { recursive: true, force: true });
  });

  describe(`the ${name} binary copied alone (smoke test)`, () => {
    test("prints the version injected at build time", () => {
      expect(run(["--version"]).out.trim()).toBe(version);
      expect(run(["version"]).out.trim()).toBe(version);
    });

    test("refuses to serve without a database URL, saying so", () => {
      const r = run(["serve"]);
      expect(r.code).not.toBe(0);
      expect(r.err).toContain("DATABASE_URL");
    });

    test("migrate up created its schema, and migrate status lists the first migration as applied", async () => {
      const [s] = await sql!`select count(*)::int as n from information_schema.schemata where schema_name = ${schema}`;
      expect(s!.n).toBe(1);
      const status = run(["migrate", "status"], { DATABASE_URL: tdb!.url, LOG_LEVEL: "warn" });
      expect(status.code).toBe(0);
      expect(status.out).toMatch(/^applied\s+0000_\w+/m);
      expect(run(["migrate", "up"], { DATABASE_URL: tdb!.url, LOG_LEVEL: "warn" }).out).toContain("up to date");
    });

    test("serve answers /readyz 200", async () => {
      const res = await fetch(`${app!.url}/readyz`);
      expect(res.status).toBe(200);
      expect(((await res.json()) as { status: string }).status).toBe("ok");
    });

    test("/openapi.json is valid OpenAPI 3.1 carrying the build version, the same as the openapi subcommand", async () => {
      const doc = (await (await fetch(`${app!.url}/openapi.json`)).json()) as {
        openapi: string;
        info: { version: string };
      };
      const result = await new Validator().validate(doc as Parameters<Validator["validate"]>[0]);
      expect(result.errors).toBeUndefined();
      expect(result.valid).toBe(true);
      expect(doc.openapi).toStartWith("3.1");
      expect(doc.info.version).toBe(version);
      expect(JSON.parse(run(["openapi"]).out)).toEqual(doc);
    });

    test("/docs serves Swagger UI from the binary itself", async () => {
      const html = await (await fetch(`${app!.url}/docs`)).text();
      const assets = [...html.matchAll(/(?:href|src)="([^"]+)"/g)].map((m) => m[1]!);
      expect(assets.length).toBeGreaterThanOrEqual(2);
      for (const a of assets) {
        expect(a.startsWith("/")).toBe(true);
        const res = await fetch(`${app!.url}${a}`);
        expect(res.status).toBe(200);
        expect((await res.arrayBuffer()).byteLength).toBeGreaterThan(1000);
      }
    });

    test("/metrics parses as Prometheus text with build info and request durations", async () => {
      await (await fetch(`${app!.url}${options.exercisePath ?? "/openapi.json"}`)).arrayBuffer();
      const samples = parsePrometheusText(await (await fetch(`${app!.url}/metrics`)).text());
      expect(samples.find((s) => s.name === "build_info")?.labels.version).toBe(version);
      expect(samples.some((s) => s.name === "http_request_duration_seconds_count")).toBe(true);
      expect(samples.some((s) => s.name === "process_resident_memory_bytes")).toBe(true);
    });

    test("serves every rpc of its proto over gRPC, listed by reflection (buf curl --list-methods)", () => {
      const listed = bufCurl(grpcPort, ["--list-methods"]);
      expect(listed.err).toBe("");
      const methods = listed.out.trim().split("\n");
      expect(methods.filter((m) => !m.startsWith("grpc.health.v1."))).toEqual(rpcsOfProto(name));
      expect(methods).toContain("grpc.health.v1.Health/Check");
    });

    test("answers grpc.health.v1.Health/Check SERVING", () => {
      const health = bufCurl(grpcPort, ["-d", "{}"], "grpc.health.v1.Health/Check");
      expect(health.err).toBe("");
      expect(JSON.parse(health.out)).toEqual({ status: "SERVING" });
    });

    test("log lines are JSON naming the TypeScript source of the caller", () => {
      const line = app!.stdout.find((l) => l.includes('"msg":"serving"'));
      expect(line).toBeDefined();
      const parsed = JSON.parse(line!) as Record<string, unknown>;
      expect(parsed).toMatchObject({ level: "info", service: name, version });
      // The kit logs "serving" for every service; what matters is a TypeScript source line, not the bundle.
      expect(parsed.caller).toMatch(new RegExp(`^(services/${name}/src|shared)/[\\w./-]+\\.ts:\\d+$`));
    });
  });

  return {
    version,
    get binary() {
      return binary;
    },
    get databaseUrl() {
      if (!tdb) throw new Error("smokeTestBinary: the database exists only once beforeAll has run");
      return tdb.url;
    },
    get app() {
      if (!app) throw new Error("smokeTestBinary: the binary runs only once beforeAll has run");
      return app;
    },
    get grpcPort() {
      return grpcPort;
    },
    run,
  };
}
