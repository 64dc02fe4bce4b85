// One test suite, run by every service, proving that with identity verification switched on the service
// rejects forged identity headers before any handler runs.
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import pino from "pino";
import { type BaseConfig, loadConfig } from "../config/index.ts";
import { createDatabase, type Database } from "../db/index.ts";
import { localBus } from "../endpoint/index.ts";
import type { RunningService, ServiceModule } from "../service/index.ts";
import { createTestDatabase, type TestDatabase } from "./db.ts";
import { startTestJwks, type TestJwks } from "./jwks.ts";

/**
 * Starts `module` in-process on a fresh database with `identity.verify` on against a test JWKS, and checks
 * that a request to `path` with identity headers is refused (401 problem+json) when the token is missing,
 * signed by an unknown key, or names another user or other roles, and passes the check with a matching
 * token (whatever the route then answers, it is not 401).
 */
export function identityVerificationSuite<C extends BaseConfig>(
  module: ServiceModule<C>,
  options: { path: string; method?: string },
): void {
  const user = "0190d9a4-6b1e-7c3a-9f51-0000000000a1";
  let jwks: TestJwks;
  let tdb: TestDatabase;
  let database: Database;
  let running: RunningService;
  let url: string;

  beforeAll(async () => {
    jwks = await startTestJwks();
    tdb = await createTestDatabase({ prefix: `${module.name}_identity` });
    const config: C = loadConfig({
      schema: module.configSchema,
      argv: [],
      env: {},
      defaults: {
        http: { host: "127.0.0.1", port: 0 },
        db: { url: tdb.url },
        identity: { verify: true, jwksUrl: jwks.jwksUrl, issuer: jwks.issuer, audience: jwks.audience },
      },
    });
    database = createDatabase({ url: tdb.url, schema: module.schema, pool: config.db.pool });
    const logger = pino({ level: "silent" });
    running = await module.start({ config, logger, version: "0.0.0-test", database, bus: localBus() });
    url = `http://127.0.0.1:${running.url.port}${options.path}`;
  });

  afterAll(async () => {
    await running?.stop();
    await database?.close();
    await tdb?.drop();
    jwks?.stop();
  });

  const call = (headers: Record<string, string>) => fetch(url, { method: options.method ?? "GET", headers });
  const identity = { "x-user-id": user, "x-user-roles": "user" };

  describe(`${module.name} with identity verification on`, () => {
    test("a forged identity header without a token answers 401 problem+json", async () => {
      const res = await call(identity);
      expect(res.status).toBe(401);
      expect(res.headers.get("content-type")).toBe("application/problem+json");
    });

    test("a token signed by a key the auth service never published answers 401", async () => {
      const token = await jwks.sign({ sub: user, roles: ["user"] }, { foreignKey: true });
      expect((await call({ ...identity, authorization: `Bearer ${token}` })).status).toBe(401);
    });

    test("a valid token for another user answers 401", async () => {
      const token = await jwks.sign({ sub: "0190d9a4-6b1e-7c3a-9f51-0000000000b0", roles: ["user"] });
      expect((await call({ ...identity, authorization: `Bearer ${token}` })).status).toBe(401);
    });

    test("roles raised in the header beyond the token answer 401", async () => {
      const token = await jwks.sign({ sub: user, roles: ["user"] });
      const res = await call({ ...identity, "x-user-roles": "user,admin", authorization: `Bearer ${token}` });
      expect(res.status).toBe(401);
    });

    test("a matching token passes the check", async () => {
      const token = await jwks.sign({ sub: user, roles: ["user"] });
      expect((await call({ ...identity, authorization: `Bearer ${token}` })).status).not.toBe(401);
    });
  });
}
