// The systemd units: `systemd-analyze verify` accepts every one, and catalog starts the way its unit starts
// it (ExecStartPre migrate up with the owner's URL, then ExecStart serve with the app's, the example env
// file, the credentials as files) against the local PostgreSQL, ready on /readyz.
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createTestDatabase, type TestDatabase } from "@shared/testing";
import { buildService, copyAlone, freePort, startBinary } from "@shared/testing/binary.ts";
import postgres from "postgres";
import { execArgv, parseEnvFile, parseUnitFile, unitEnvironment, unitValues } from "./unit-file.ts";

const dir = import.meta.dir;
const services = ["auth", "catalog", "gateway", "notifier", "orders", "users"];
const units = readdirSync(dir).filter((f) => f.endsWith(".service") || f.endsWith(".target"));
const systemdAnalyze = "/usr/bin/systemd-analyze";
const unitOf = (svc: string) => parseUnitFile(readFileSync(join(dir, `shop-${svc}.service`), "utf8"));

describe("the systemd units", () => {
  test("are one per service plus shop.target, which wants them all", () => {
    expect(units.sort()).toEqual([...services.map((s) => `shop-${s}.service`), "shop.target"].sort());
    const target = parseUnitFile(readFileSync(join(dir, "shop.target"), "utf8"));
    const wanted = unitValues(target, "Unit", "Wants").join(" ").split(/\s+/).sort();
    expect(wanted).toEqual(services.map((s) => `shop-${s}.service`).sort());
  });

  test.each(services)("shop-%s.service is hardened, reads its env file and belongs to shop.target", (svc) => {
    const unit = unitOf(svc);
    const one = (key: string) => unitValues(unit, "Service", key);
    expect(one("DynamicUser")).toEqual(["yes"]);
    expect(one("NoNewPrivileges")).toEqual(["yes"]);
    expect(one("ProtectSystem")).toEqual(["strict"]);
    expect(one("ProtectHome")).toEqual(["yes"]);
    expect(one("PrivateTmp")).toEqual(["yes"]);
    expect(one("CapabilityBoundingSet")).toEqual([""]);
    expect(one("RestrictAddressFamilies")).toEqual(["AF_INET AF_INET6 AF_UNIX"]);
    expect(one("MemoryMax")).toHaveLength(1);
    expect(one("Type")).toEqual(["simple"]);
    expect(one("EnvironmentFile")).toEqual([`/etc/shop/${svc}.env`]);
    expect(existsSync(join(dir, "env", `${svc}.env`))).toBe(true);
    expect(unitValues(unit, "Install", "WantedBy")).toEqual(["shop.target"]);
    expect(unitValues(unit, "Unit", "PartOf")).toEqual(["shop.target"]);
  });

  test.each(services.filter((s) => s !== "gateway"))(
    "shop-%s.service migrates as the owner role and serves as the app role, both URLs as credentials",
    (svc) => {
      const unit = unitOf(svc);
      const creds = unitValues(unit, "Service", "LoadCredential");
      expect(creds).toContain(`db-owner-url:/etc/shop/credentials/${svc}/db-owner-url`);
      expect(creds).toContain(`db-app-url:/etc/shop/credentials/${svc}/db-app-url`);
      const d = { d: "/run/credentials/x" };
      expect(unitValues(unit, "Service", "ExecStartPre").map((l) => execArgv(l, d))).toEqual([
        ["/usr/bin/env", "DATABASE_URL_FILE=/run/credentials/x/db-owner-url", `/opt/shop/bin/${svc}`, "migrate", "up"],
      ]);
      expect(unitValues(unit, "Service", "ExecStart").map((l) => execArgv(l, d))).toEqual([
        ["/usr/bin/env", "DATABASE_URL_FILE=/run/credentials/x/db-app-url", `/opt/shop/bin/${svc}`, "serve"],
      ]);
      expect(unitEnvironment(unit, d).MIGRATE_ON_START).toBe("false");
    },
  );

  test("the example env files parse, with the ports every service has on a shared host", () => {
    const ports: Record<string, [string, string | undefined]> = {
      gateway: ["8080", undefined],
      users: ["8081", "9081"],
      auth: ["8082", "9082"],
      catalog: ["8083", "9083"],
      orders: ["8084", "9084"],
      notifier: ["8085", "9085"],
    };
    for (const svc of services) {
      const env = parseEnvFile(readFileSync(join(dir, "env", `${svc}.env`), "utf8"));
      const [http, grpc] = ports[svc]!;
      expect(env[svc === "gateway" ? "GATEWAY_PORT" : "PORT"], svc).toBe(http);
      expect(env.GRPC_PORT, svc).toBe(grpc);
      expect(env.NATS_URL, svc).toStartWith("nats://");
      // secrets come as credentials, never from the env file
      expect(
        Object.keys(env).filter((k) => /DATABASE_URL|PASSWORD|SECRET|TOKEN/.test(k)),
        svc,
      ).toEqual([]);
    }
  });

  test("pass systemd-analyze verify, with the binaries they name present", async () => {
    expect(existsSync(systemdAnalyze), `${systemdAnalyze} is missing: apt-get install systemd`).toBe(true);
    // verify checks that every Exec* program exists; /opt/shop/bin is not this machine's, so the units are
    // checked from a copy whose /opt/shop points into a scratch folder holding an executable per service.
    const scratch = mkdtempSync(join(tmpdir(), "units-"));
    try {
      const opt = join(scratch, "opt", "shop");
      mkdirSync(join(opt, "bin"), { recursive: true });
      for (const svc of services) writeFileSync(join(opt, "bin", svc), "#!/bin/sh\nexit 0\n", { mode: 0o755 });
      const copies = units.map((name) => {
        const to = join(scratch, name);
        writeFileSync(to, readFileSync(join(dir, name), "utf8").replaceAll("/opt/shop/", `${opt}/`));
        return to;
      });
      const proc = Bun.spawnSync([systemdAnalyze, "verify", "--man=no", ...copies], { stderr: "pipe", stdout: "pipe" });
      const said = `${proc.stdout.toString()}${proc.stderr.toString()}`.trim();
      expect(said).toBe("");
      expect(proc.exitCode).toBe(0);
    } finally {
      rmSync(scratch, { recursive: true, force: true });
    }
  });

  test("verify would catch a broken unit (the check can fail)", () => {
    const scratch = mkdtempSync(join(tmpdir(), "units-"));
    try {
      const bad = join(scratch, "shop-bad.service");
      writeFileSync(bad, "[Service]\nType=simple\nExecStart=/nonexistent/bin/shop serve\nProtectSystem=sideways\n");
      const proc = Bun.spawnSync([systemdAnalyze, "verify", "--man=no", bad], { stderr: "pipe", stdout: "pipe" });
      expect(proc.exitCode).not.toBe(0);
      expect(proc.stderr.toString()).toContain("/nonexistent/bin/shop");
    } finally {
      rmSync(scratch, { recursive: true, force: true });
    }
  });
});

describe("catalog started the way shop-catalog.service starts it", () => {
  let tdb: TestDatabase;
  let scratch: string;
  let specifiers: Record<string, string>;
  let env: Record<string, string>;
  let binary: string;
  const unit = unitOf("catalog");
  // The unit's program path, replaced by the compiled binary; everything else is the unit's own line.
  const argvOf = (line: string) => execArgv(line, specifiers).map((a) => (a === "/opt/shop/bin/catalog" ? binary : a));

  beforeAll(async () => {
    tdb = await createTestDatabase({ prefix: "systemd_catalog" });
    binary = copyAlone(await buildService("catalog"));
    scratch = mkdtempSync(join(tmpdir(), "unit-catalog-"));
    // What LoadCredential= does: each credential a file in the service's credentials directory (%d). The
    // roles are `catalog db grant`'s business; here both URLs are the test database's.
    const credentials = join(scratch, "credentials");
    mkdirSync(credentials, { mode: 0o700 });
    for (const line of unitValues(unit, "Service", "LoadCredential")) {
      const name = line.slice(0, line.indexOf(":"));
      writeFileSync(join(credentials, name), `${tdb.url}\n`, { mode: 0o400 });
    }
    specifiers = { d: credentials };
    const file = unitValues(unit, "Service", "EnvironmentFile")[0]!;
    expect(file).toBe("/etc/shop/catalog.env");
    env = {
      ...parseEnvFile(readFileSync(join(dir, "env", "catalog.env"), "utf8")),
      ...unitEnvironment(unit, specifiers),
      // This machine's NATS, and free ports instead of the example's fixed ones.
      NATS_URL: process.env.NATS_URL ?? "nats://127.0.0.1:4222",
      PORT: String(await freePort()),
      GRPC_PORT: String(await freePort()),
    };
  });

  afterAll(async () => {
    rmSync(scratch, { recursive: true, force: true });
    await tdb.drop();
  });

  test("ExecStartPre applies the migrations, then ExecStart serves and is ready on /readyz", async () => {
    const [pre] = unitValues(unit, "Service", "ExecStartPre").map(argvOf);
    const migrate = Bun.spawnSync(pre!, {
      env: { PATH: process.env.PATH, ...env },
      cwd: "/",
      stderr: "pipe",
      stdout: "pipe",
    });
    expect(migrate.exitCode, `${migrate.stdout}${migrate.stderr}`).toBe(0);
    const sql = postgres(tdb.url, { max: 1, onnotice: () => {} });
    try {
      const [row] = await sql`select count(*)::int as n from information_schema.tables where table_schema = 'catalog'`;
      expect(row!.n).toBeGreaterThan(0);
    } finally {
      await sql.end();
    }

    const [start] = unitValues(unit, "Service", "ExecStart").map(argvOf);
    const [program, ...args] = start!;
    const app = await startBinary({ path: program!, args, env, port: Number(env.PORT), cwd: "/", timeoutMs: 30_000 });
    try {
      const ready = await fetch(`${app.url}/readyz`);
      expect(ready.status).toBe(200);
      expect(((await ready.json()) as { checks: Record<string, string> }).checks.database).toBe("ok");
    } finally {
      expect(await app.stop()).toBe(0);
    }
  });
});
