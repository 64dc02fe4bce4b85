import { afterAll, describe, expect, test } from "bun:test";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { ConfigError, loadConfig, redact } from "@shared/config";
import { calculateJwkThumbprint, createLocalJWKSet, exportJWK, exportPKCS8, generateKeyPair, jwtVerify } from "jose";
import { KeyRing } from "./auth.keys.ts";
import { authConfigSchema } from "./config.ts";

const dir = mkdtempSync(join(tmpdir(), "auth-key-files-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

async function pemFile(name: string): Promise<{ path: string; kid: string }> {
  const { privateKey, publicKey } = await generateKeyPair("EdDSA", { extractable: true });
  const path = join(dir, name);
  writeFileSync(path, await exportPKCS8(privateKey));
  return { path, kid: await calculateJwkThumbprint(await exportJWK(publicKey)) };
}

describe("auth's signing keys from files", () => {
  test("AUTH_KEYS_PRIVATE_KEY_FILE and AUTH_KEYS_PREVIOUS_KEY_FILE sign and publish, and config print hides them", async () => {
    const current = await pemFile("current.pem");
    const previous = await pemFile("previous.pem");
    const secretFile = join(dir, "encryption-secret");
    writeFileSync(secretFile, "0123456789abcdef-at-rest\n");
    const config = loadConfig({
      schema: authConfigSchema,
      env: {
        AUTH_KEYS_PRIVATE_KEY_FILE: current.path,
        AUTH_KEYS_PREVIOUS_KEY_FILE: previous.path,
        AUTH_KEYS_ENCRYPTION_SECRET_FILE: secretFile,
      },
    });
    expect(config.keys.encryptionSecret).toBe("0123456789abcdef-at-rest");
    const ring = new KeyRing({
      issuer: "shop-auth",
      audience: "shop",
      accessTtlSec: 900,
      configured: { current: config.keys.privateKey!, previous: config.keys.previousKey },
    });
    await ring.init();
    expect(await ring.kids()).toEqual([current.kid, previous.kid]);
    const { token } = await ring.issue({ sub: "0190d9a4-6b1e-7c3a-9f51-2b9d3c4e5fa1", roles: ["user"] });
    const verified = await jwtVerify(token, createLocalJWKSet(await ring.jwks()), { issuer: "shop-auth" });
    expect(verified.protectedHeader.kid).toBe(current.kid);
    const shown = redact(authConfigSchema, config);
    expect(shown.keys).toMatchObject({
      privateKey: "[redacted]",
      previousKey: "[redacted]",
      encryptionSecret: "[redacted]",
    });
  });

  test("a missing key file stops the service with a ConfigError naming the variable", () => {
    const load = () =>
      loadConfig({ schema: authConfigSchema, env: { AUTH_KEYS_PRIVATE_KEY_FILE: join(dir, "absent.pem") } });
    expect(load).toThrow(ConfigError);
    expect(load).toThrow("(from env AUTH_KEYS_PRIVATE_KEY_FILE)");
  });
});
