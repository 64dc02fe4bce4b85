// End-to-end: the catalog binary serves catalog.products.get on NATS (the subject orders calls) with the
// same data and error codes as POST /products/batch-get, and announces it through $SRV discovery.
// Needs NATS at NATS_URL (default nats://127.0.0.1:4222).
//
// The subject is the real one, so another catalog instance on the same NATS server (a teammate's test
// run) may share the queue group and answer some requests from its own database. Error cases and unknown
// ids answer the same from any instance; the data comparison retries until our instance has answered.
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { connect, type NatsConnection } from "@nats-io/transport-node";
import { createTestDatabase, natsForTests, natsTestUrl, type TestDatabase } from "@shared/testing";
import { buildService, copyAlone, type RunningBinary, startBinary } from "@shared/testing/binary.ts";

const version = "9.8.7-catalog-e2e";
const withNats = await natsForTests();
const admin = { "x-user-id": "0190d9a4-6b1e-7c3a-9f51-000000000001", "x-user-roles": "admin" };
const json = { "content-type": "application/json" };
let tdb: TestDatabase;
let app: RunningBinary;
let nc: NatsConnection;
const ids: string[] = [];

describe.skipIf(!withNats)("the catalog binary on NATS", () => {
  beforeAll(async () => {
    tdb = await createTestDatabase({ prefix: "catalog_nats_bin" });
    app = await startBinary({
      path: copyAlone(await buildService("catalog", { version })),
      args: ["serve"],
      env: { DATABASE_URL: tdb.url, NATS_URL: natsTestUrl },
    });
    nc = await connect({ servers: natsTestUrl });
    for (const p of [
      { sku: "CHAIR-1", name: "Chair", priceMinor: 4900, currency: "EUR", stock: 3 },
      { sku: "LAMP-1", name: "Lamp", priceMinor: 1999, currency: "EUR", stock: 1 },
    ]) {
      const res = await fetch(`${app.url}/products`, {
        method: "POST",
        headers: { ...admin, ...json },
        body: JSON.stringify(p),
      });
      expect(res.status).toBe(201);
      ids.push(((await res.json()) as { id: string }).id);
    }
    const deactivated = await fetch(`${app.url}/products/${ids[1]}/deactivate`, { method: "POST", headers: admin });
    expect(deactivated.status).toBe(200);
  }, 120_000);

  afterAll(async () => {
    await nc?.close();
    await app?.stop();
    await tdb?.drop();
  });

  async function overNats(body: string) {
    const msg = await nc.request("catalog.products.get", body, { timeout: 2000 });
    return { status: Number(msg.headers?.get("Nats-Service-Error-Code") ?? 200), body: msg.json() };
  }

  async function overHttp(body: string) {
    const res = await fetch(`${app.url}/products/batch-get`, { method: "POST", headers: json, body });
    return { status: res.status, body: await res.json() };
  }

  function comparable(r: { status: number; body: unknown }) {
    const b = r.body as Record<string, unknown>;
    return { status: r.status, body: r.status === 200 ? b : { code: b.code, status: b.status } };
  }

  test("bad input and unknown ids answer the same over NATS as over HTTP", async () => {
    const unknown = Bun.randomUUIDv7();
    for (const body of ["{oops", "{}", '{"ids":[]}', '{"ids":["nope"]}', JSON.stringify({ ids: [unknown] })]) {
      expect(comparable(await overNats(body))).toEqual(comparable(await overHttp(body)));
    }
    expect(await overNats(JSON.stringify({ ids: [unknown] }))).toEqual({
      status: 200,
      body: { products: [], missing: [unknown] },
    });
  });

  test("known products, the inactive one included, answer the same over NATS as over HTTP", async () => {
    const body = JSON.stringify({ ids });
    const http = await overHttp(body);
    expect((http.body as { products: unknown[] }).products.length).toBe(2);
    let nats = await overNats(body);
    for (let i = 0; i < 20 && (nats.body as { missing?: unknown[] }).missing?.length; i++) {
      nats = await overNats(body); // answered by another catalog instance: ask again
    }
    expect(nats).toEqual(http);
    expect((nats.body as { products: { active: boolean }[] }).products.map((p) => p.active)).toEqual([true, false]);
  });

  test("$SRV.INFO lists catalog.products.get for this binary's version", async () => {
    const infos: { name: string; version: string; endpoints: { subject: string }[] }[] = [];
    for await (const msg of await nc.requestMany("$SRV.INFO.catalog", "", { maxWait: 1000 })) {
      infos.push(msg.json());
    }
    const ours = infos.find((i) => i.version === version);
    expect(ours).toBeDefined();
    expect(ours!.name).toBe("catalog");
    expect(ours!.endpoints.map((e) => e.subject)).toContain("catalog.products.get");
  });
});
