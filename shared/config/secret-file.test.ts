import { afterAll, describe, expect, test } from "bun:test";
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { z } from "zod";
import { runCli } from "../cli/cli.ts";
import { defineServiceConfig } from "./base.ts";
import { ConfigError } from "./errors.ts";
import { loadConfig } from "./load.ts";
import { redact, secret } from "./secret.ts";

const dir = mkdtempSync(join(tmpdir(), "secret-file-test-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function file(name: string, text: string): string {
  const path = join(dir, name);
  writeFileSync(path, text);
  return path;
}

const schema = defineServiceConfig("shop", {
  keys: z.object({ signing: secret(z.string()).optional(), label: z.string().optional() }).prefault({}),
});

function configError(env: Record<string, string>): ConfigError {
  try {
    loadConfig({ schema, env });
  } catch (err) {
    if (err instanceof ConfigError) return err;
    throw err;
  }
  throw new Error("expected a ConfigError");
}

describe("secrets from files", () => {
  test("DATABASE_URL_FILE gives db.url without the file's trailing newline", () => {
    const path = file("db-url", "postgres://app:s3cret@db:5432/shop\n");
    expect(loadConfig({ schema, env: { DATABASE_URL_FILE: path } }).db.url).toBe("postgres://app:s3cret@db:5432/shop");
  });

  test("the NATS password and token come from NATS_PASSWORD_FILE and NATS_TOKEN_FILE", () => {
    const password = file("nats-password", "pw\r\n");
    const token = file("nats-token", "t0ken\n");
    const withPassword = loadConfig({ schema, env: { NATS_USER: "svc", NATS_PASSWORD_FILE: password } });
    expect(withPassword.nats).toMatchObject({ user: "svc", password: "pw" });
    expect(loadConfig({ schema, env: { NATS_TOKEN_FILE: token } }).nats.token).toBe("t0ken");
  });

  test("a prefixed secret key comes from <SVC>_<PATH>_FILE, a multi-line value kept whole", () => {
    const pem = "-----BEGIN PRIVATE KEY-----\nabc\ndef\n-----END PRIVATE KEY-----\n";
    const path = file("signing.pem", pem);
    expect(loadConfig({ schema, env: { SHOP_KEYS_SIGNING_FILE: path } }).keys.signing).toBe(pem.trimEnd());
  });

  test("a key not marked secret takes no _FILE variable", () => {
    const path = file("label", "from-file");
    expect(loadConfig({ schema, env: { SHOP_KEYS_LABEL_FILE: path } }).keys.label).toBeUndefined();
  });

  test("a missing file is a ConfigError naming the variable and the file", () => {
    const missing = join(dir, "none");
    const err = configError({ NATS_PASSWORD_FILE: missing, NATS_USER: "svc" });
    expect(err.issues).toEqual([
      { key: "nats.password", message: `cannot read the file ${missing} (ENOENT)`, source: "env NATS_PASSWORD_FILE" },
    ]);
  });

  test("an unreadable file (here a directory, since tests may run as root) is a ConfigError naming the variable", () => {
    const folder = join(dir, "a-folder");
    mkdirSync(folder);
    expect(configError({ DATABASE_URL_FILE: folder }).message).toBe(
      `db.url: cannot read the file ${folder} (EISDIR) (from env DATABASE_URL_FILE)`,
    );
  });

  test("setting both a variable and its _FILE is a ConfigError naming both", () => {
    const path = file("db-url-both", "postgres://a@b/c");
    expect(configError({ DATABASE_URL: "postgres://x@y/z", DATABASE_URL_FILE: path }).message).toContain(
      "set DATABASE_URL or DATABASE_URL_FILE, not both",
    );
  });

  test("the service stops with exit code 2 and a message naming the variable; config print hides what files gave", async () => {
    const run = async (env: Record<string, string>) => {
      let out = "";
      let err = "";
      const code = await runCli({
        name: "shop",
        version: "1.0.0",
        description: "test",
        argv: ["config", "print"],
        loadConfig: (argv) => loadConfig({ schema, argv, env }),
        redact: (config) => redact(schema, config),
        serve: async () => {},
        out: { write: (s: string) => (out += s) },
        err: { write: (s: string) => (err += s) },
      });
      return { code, out, err };
    };
    const failed = await run({ NATS_TOKEN_FILE: join(dir, "gone") });
    expect(failed.code).toBe(2);
    expect(failed.err).toContain("NATS_TOKEN_FILE");
    const printed = await run({
      DATABASE_URL_FILE: file("db-url-print", "postgres://app:s3cret@db/shop\n"),
      NATS_TOKEN_FILE: file("token-print", "t0ken"),
      SHOP_KEYS_SIGNING_FILE: file("signing-print", "private"),
    });
    expect(printed.code).toBe(0);
    const shown = JSON.parse(printed.out);
    expect(shown.db.url).toBe("postgres://app:[redacted]@db/shop");
    expect(shown.nats.token).toBe("[redacted]");
    expect(shown.keys.signing).toBe("[redacted]");
    expect(printed.out).not.toContain("s3cret");
    expect(printed.out).not.toContain("t0ken");
  });

  test("MIGRATE_ON_START is the standard name of migrateOnStart; the prefixed name still wins", () => {
    expect(loadConfig({ schema, env: { MIGRATE_ON_START: "false" } }).migrateOnStart).toBe(false);
    expect(
      loadConfig({ schema, env: { MIGRATE_ON_START: "false", SHOP_MIGRATE_ON_START: "true" } }).migrateOnStart,
    ).toBe(true);
  });

  test("NATS authentication takes one way only, and a user needs a password", () => {
    expect(configError({ NATS_TOKEN: "t", NATS_NKEY_FILE: "/x" }).message).toContain("choose one NATS authentication");
    expect(configError({ NATS_USER: "svc" }).message).toContain("nats.user and nats.password go together");
  });
});
