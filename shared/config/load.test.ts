import { afterAll, describe, expect, test } from "bun:test";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { z } from "zod";
import { defineServiceConfig } from "./base.ts";
import { ConfigError } from "./errors.ts";
import { loadConfig } from "./load.ts";

const dir = mkdtempSync(join(tmpdir(), "config-test-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function file(name: string, text: string): string {
  const path = join(dir, name);
  writeFileSync(path, text);
  return path;
}

const schema = defineServiceConfig(
  "users",
  {
    features: z.object({ signup: z.boolean().default(true), regions: z.array(z.string()).default([]) }).prefault({}),
    retries: z.array(z.number()).default([]),
  },
  { port: 3001 },
);

function configError(run: () => unknown): ConfigError {
  try {
    run();
  } catch (err) {
    if (err instanceof ConfigError) return err;
    throw err;
  }
  throw new Error("expected a ConfigError");
}

describe("loadConfig", () => {
  test("with no file, env or flags every key takes the schema default and the service's port", () => {
    const config = loadConfig({ schema, argv: [], env: {} });
    expect(config.http).toEqual({ host: "0.0.0.0", port: 3001, bodyLimitBytes: 1048576, drainMs: 10000 });
    expect(config.db).toEqual({
      pool: { max: 10, idleTimeoutSec: 30, connectTimeoutSec: 5, statementTimeoutMs: 30_000 },
      dataDir: ".data/pg",
    });
    expect(config.log).toEqual({ level: "info", pretty: false });
    expect(config.features).toEqual({ signup: true, regions: [] });
  });

  test("a YAML, a JSON and a TOML file are each read by their extension", () => {
    const yaml = file("a.yaml", "http:\n  port: 4001\n");
    const json = file("a.json", JSON.stringify({ http: { port: 4002 } }));
    const toml = file("a.toml", "[http]\nport = 4003\n");
    expect(loadConfig({ schema, argv: ["--config", yaml], env: {} }).http.port).toBe(4001);
    expect(loadConfig({ schema, argv: [`--config=${json}`], env: {} }).http.port).toBe(4002);
    expect(loadConfig({ schema, argv: ["--config", toml], env: {} }).http.port).toBe(4003);
  });

  test("the layers override in the order defaults < file < environment < flags", () => {
    const path = file("layers.yaml", "http:\n  port: 1\n  host: file-host\n  drainMs: 7\nlog:\n  level: debug\n");
    const config = loadConfig({
      schema,
      argv: ["--config", path, "--http.port=3"],
      env: { PORT: "2", LOG_LEVEL: "warn" },
      defaults: { http: { host: "default-host", bodyLimitBytes: 5 } },
    });
    expect(config.http).toEqual({ host: "file-host", port: 3, bodyLimitBytes: 5, drainMs: 7 });
    expect(config.log.level).toBe("warn");
  });

  test("the usual environment names work in every service", () => {
    const config = loadConfig({
      schema,
      env: {
        PORT: "8080",
        DATABASE_URL: "postgres://a@b/c",
        NATS_URL: "nats://n:4222",
        LOG_LEVEL: "debug",
        GRPC_PORT: "9083",
      },
    });
    expect(config.http.port).toBe(8080);
    expect(config.db.url).toBe("postgres://a@b/c");
    expect(config.nats.url).toBe("nats://n:4222");
    expect(config.grpc.port).toBe(9083);
    expect(loadConfig({ schema, env: {} }).grpc.port).toBeUndefined();
    expect(config.log.level).toBe("debug");
  });

  test("NATS_URL may list several servers, a config file a list, and NATS_STREAM_REPLICAS sets events.replicas", () => {
    const fromEnv = loadConfig({
      schema,
      env: { NATS_URL: "nats://a:4222,nats://b:4222", NATS_STREAM_REPLICAS: "3" },
    });
    expect(fromEnv.nats.url).toBe("nats://a:4222,nats://b:4222");
    expect(fromEnv.events.replicas).toBe(3);
    const path = file("cluster.yaml", "nats:\n  url: [nats://a:4222, nats://b:4222]\nevents:\n  replicas: 3\n");
    const fromFile = loadConfig({ schema, argv: ["--config", path], env: {} });
    expect(fromFile.nats.url).toEqual(["nats://a:4222", "nats://b:4222"]);
    expect(fromFile.events.replicas).toBe(3);
    expect(loadConfig({ schema, env: {} }).events.replicas).toBe(1);
    expect(configError(() => loadConfig({ schema, env: { NATS_STREAM_REPLICAS: "0" } })).message).toContain(
      "events.replicas",
    );
  });

  test("prefixed environment names reach nested and camelCase keys and win over the usual names", () => {
    const config = loadConfig({
      schema,
      env: { PORT: "1", USERS_HTTP_PORT: "2", USERS_DB_POOL_MAX: "5", USERS_HTTP_BODY_LIMIT_BYTES: "99" },
    });
    expect(config.http.port).toBe(2);
    expect(config.db.pool.max).toBe(5);
    expect(config.http.bodyLimitBytes).toBe(99);
  });

  test("an explicit envPrefix replaces the one taken from the service name", () => {
    const config = loadConfig({
      schema,
      envPrefix: "ACCOUNTS",
      env: { USERS_HTTP_PORT: "2", ACCOUNTS_HTTP_PORT: "3" },
    });
    expect(config.http.port).toBe(3);
  });

  test("a service's envMap maps its own variable names to keys", () => {
    const config = loadConfig({ schema, env: { SIGNUP_OPEN: "false" }, envMap: { SIGNUP_OPEN: "features.signup" } });
    expect(config.features.signup).toBe(false);
  });

  test("an envMap entry naming a key the schema lacks is a ConfigError", () => {
    const err = configError(() => loadConfig({ schema, env: {}, envMap: { X: "no.such" } }));
    expect(err.message).toContain("no.such");
  });

  test("strings become booleans and comma-separated arrays by the schema's type", () => {
    const config = loadConfig({
      schema,
      env: { USERS_LOG_PRETTY: "yes", USERS_FEATURES_REGIONS: "eu, us", USERS_RETRIES: "1,2,3" },
    });
    expect(config.log.pretty).toBe(true);
    expect(config.features.regions).toEqual(["eu", "us"]);
    expect(config.retries).toEqual([1, 2, 3]);
  });

  test("flags accept =value, a separate value, aliases, kebab-case, bare booleans and --no-", () => {
    const config = loadConfig({
      schema,
      argv: ["--port", "9000", "--http.body-limit-bytes=10", "--log.pretty", "--no-features.signup", "--db.url", "x"],
      env: {},
    });
    expect(config.http.port).toBe(9000);
    expect(config.http.bodyLimitBytes).toBe(10);
    expect(config.log.pretty).toBe(true);
    expect(config.features.signup).toBe(false);
    expect(config.db.url).toBe("x");
  });

  test("a bare boolean flag takes a following true/false word but not the next flag", () => {
    const config = loadConfig({ schema, argv: ["--log.pretty", "false", "--features.signup", "--port=1"] });
    expect(config.log.pretty).toBe(false);
    expect(config.features.signup).toBe(true);
    expect(config.http.port).toBe(1);
  });

  test("an unknown flag is a ConfigError naming it", () => {
    expect(configError(() => loadConfig({ schema, argv: ["--http.prot=1"] })).message).toContain("--http.prot");
  });

  test("a positional argument or a flag without its value is a ConfigError", () => {
    expect(configError(() => loadConfig({ schema, argv: ["serve"] })).message).toContain('"serve"');
    expect(configError(() => loadConfig({ schema, argv: ["--http.port"] })).message).toContain("needs a value");
  });

  test("an invalid env value names the key, the expectation, the value and the variable", () => {
    const err = configError(() => loadConfig({ schema, env: { PORT: "abc" } }));
    expect(err.message).toBe('http.port: expected number, got "abc" (from env PORT)');
    expect(err.issues).toEqual([{ key: "http.port", message: 'expected number, got "abc"', source: "env PORT" }]);
  });

  test("an invalid flag or file value names the flag or the file as its source", () => {
    expect(configError(() => loadConfig({ schema, argv: ["--log.level=loud"] })).message).toMatch(
      /^log\.level: .*got "loud" \(from flag --log\.level\)$/,
    );
    const path = file("bad.json", JSON.stringify({ http: { port: 70000 } }));
    expect(configError(() => loadConfig({ schema, argv: ["--config", path] })).message).toBe(
      `http.port: Too big: expected number to be <=65535, got 70000 (from file ${path})`,
    );
  });

  test("a key in the file that the schema does not know is a ConfigError", () => {
    const path = file("typo.yaml", "http:\n  prot: 1\n");
    expect(configError(() => loadConfig({ schema, argv: ["--config", path] })).message).toBe(
      `http.prot: unknown key (from file ${path})`,
    );
  });

  test("a missing, unparsable or unsupported config file is a ConfigError", () => {
    expect(configError(() => loadConfig({ schema, argv: ["--config", join(dir, "none.yaml")] })).message).toContain(
      "cannot read",
    );
    const broken = file("broken.json", "{");
    expect(configError(() => loadConfig({ schema, argv: ["--config", broken] })).message).toContain("cannot parse");
    const ini = file("a.ini", "x=1");
    expect(configError(() => loadConfig({ schema, argv: ["--config", ini] })).message).toContain("unsupported");
  });
});
