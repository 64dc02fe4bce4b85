// catalog.products.get served over real NATS next to the same endpoint over HTTP, in-process, against a
// real PostgreSQL. The subject and service name are unique per run, so parallel runs and a catalog
// binary on the same NATS server cannot answer for us. Needs NATS at NATS_URL (default 127.0.0.1:4222).
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { connect, type NatsConnection } from "@nats-io/transport-node";
import { createDatabase, type Database, migrate } from "@shared/db";
import { embedMigrations } from "@shared/db/migrations.macro.ts" with { type: "macro" };
import { createClient, natsTransport, serveOverNats } from "@shared/endpoint";
import { MemoryIdempotencyStore } from "@shared/idempotency";
import { createTestDatabase, natsForTests, natsTestUrl, type TestDatabase } from "@shared/testing";
import pino from "pino";
import { createApp } from "./catalog.app.ts";
import { catalogProductsGet } from "./catalog.contract.ts";
import { makeCatalogEndpoints } from "./catalog.endpoints.ts";
import { PgCatalogRepo } from "./catalog.repo.ts";
import { CatalogService } from "./catalog.service.ts";

const withNats = await natsForTests();
const tag = crypto.randomUUID().slice(0, 8);
const serviceName = `catalogtest${tag}`;
const subject = `test${tag}.catalog.products.get`;
const admin = { userId: "0190d9a4-6b1e-7c3a-9f51-000000000001", roles: ["admin"] };
const unknown = "0190d9a4-6b1e-7c3a-9f51-00000000ffff";

let tdb: TestDatabase;
let database: Database;
let nc: NatsConnection;
let stopNats: () => Promise<unknown>;
let app: ReturnType<typeof createApp>;
const ids: string[] = [];

describe.skipIf(!withNats)("catalog.products.get over NATS and HTTP", () => {
  beforeAll(async () => {
    tdb = await createTestDatabase({ prefix: "catalog_nats" });
    database = createDatabase({
      url: tdb.url,
      schema: "catalog",
      pool: { max: 4, idleTimeoutSec: 5, connectTimeoutSec: 5 },
    });
    await migrate({ sql: database.sql, schema: "catalog", migrations: embedMigrations("drizzle/catalog") });
    const catalog = new CatalogService(new PgCatalogRepo(database));
    for (const p of [
      { sku: "CHAIR-1", name: "Chair", priceMinor: 4900, currency: "EUR", stock: 3 },
      { sku: "LAMP-1", name: "Lamp", priceMinor: 1999, currency: "USD", stock: 0, active: false },
    ]) {
      ids.push((await catalog.create(admin, p)).id);
    }
    app = createApp({
      endpoints: makeCatalogEndpoints(catalog),
      logger: pino({ level: "silent" }),
      version: "1.2.3",
      idempotency: new MemoryIdempotencyStore(),
    });
    nc = await connect({ servers: natsTestUrl, timeout: 3000 });
    const endpoint = makeCatalogEndpoints(catalog).productsGet;
    const served = await serveOverNats({
      nc,
      service: { name: serviceName, version: "1.2.3", description: "catalog under test" },
      endpoints: [{ ...endpoint, name: subject }],
      logger: { error() {} },
    });
    stopNats = () => served.stop();
  });

  afterAll(async () => {
    await stopNats?.();
    await nc?.close();
    await database?.close();
    await tdb?.drop();
  });

  async function overNats(body: string) {
    const msg = await nc.request(subject, body, { timeout: 2000 });
    return { status: Number(msg.headers?.get("Nats-Service-Error-Code") ?? 200), body: msg.json() };
  }

  async function overHttp(body: string) {
    const res = await app.request("/products/batch-get", {
      method: "POST",
      headers: { "content-type": "application/json" },
      body,
    });
    return { status: res.status, body: await res.json() };
  }

  /** Problem bodies differ in instance and request id only; compare what a caller branches on. */
  function comparable(r: { status: number; body: unknown }) {
    const b = r.body as Record<string, unknown>;
    return { status: r.status, body: r.status === 200 ? b : { code: b.code, status: b.status } };
  }

  test("a plain NATS request gets the same data and the same error codes as HTTP", async () => {
    const bodies = [
      JSON.stringify({ ids }),
      JSON.stringify({ ids: [ids[1], unknown, ids[0], ids[1]] }),
      JSON.stringify({ ids: [unknown] }),
      "{oops",
      "{}",
      JSON.stringify({ ids: [] }),
      JSON.stringify({ ids: ["not-a-uuid"] }),
      JSON.stringify({ ids: Array.from({ length: 101 }, () => unknown) }),
    ];
    for (const body of bodies) {
      const http = comparable(await overHttp(body));
      expect(comparable(await overNats(body))).toEqual(http);
    }
    const first = await overNats(JSON.stringify({ ids: [ids[1], unknown, ids[0]] }));
    expect(first.body).toEqual({
      products: [
        { id: ids[1], sku: "LAMP-1", name: "Lamp", priceMinor: 1999, currency: "USD", stock: 0, active: false },
        { id: ids[0], sku: "CHAIR-1", name: "Chair", priceMinor: 4900, currency: "EUR", stock: 3, active: true },
      ],
      missing: [unknown],
    });
    expect((await overNats("{oops")).status).toBe(400);
    expect(((await overNats("{oops")).body as { code: string }).code).toBe("invalid_argument");
  });

  test("the typed client over NATS reads what HTTP reads", async () => {
    const client = createClient(
      { ...catalogProductsGet, name: subject },
      { transport: natsTransport(nc), timeoutMs: 2000 },
    );
    const viaNats = await client.call({ ids: [ids[0]!, unknown] }, { identity: null, requestId: "t-1" });
    const viaHttp = await overHttp(JSON.stringify({ ids: [ids[0], unknown] }));
    expect(viaNats).toEqual(viaHttp.body as typeof viaNats);
  });

  test("$SRV.INFO lists the endpoint with its subject and queue group", async () => {
    const info = (await nc.request(`$SRV.INFO.${serviceName}`, "", { timeout: 2000 })).json() as {
      name: string;
      version: string;
      endpoints: { subject: string; queue_group: string; metadata: Record<string, string> }[];
    };
    expect(info).toMatchObject({ name: serviceName, version: "1.2.3" });
    expect(info.endpoints.map((e) => e.subject)).toEqual([subject]);
    expect(info.endpoints[0]).toMatchObject({ queue_group: "q", metadata: { idempotent: "true" } });
  });
});
