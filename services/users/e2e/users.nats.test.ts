// End-to-end: the users binary serves users.get over NATS with the same data and error codes as HTTP.
// Needs NATS at NATS_URL (default nats://127.0.0.1:4222).
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { connect, headers, type NatsConnection } from "@nats-io/transport-node";
import { createTestDatabase, natsForTests, natsTestUrl, type TestDatabase } from "@shared/testing";
import { buildService, copyAlone, type RunningBinary, startBinary } from "@shared/testing/binary.ts";

const natsUrl = natsTestUrl;
const withNats = await natsForTests();
const admin = { "x-user-id": "0190d9a4-6b1e-7c3a-9f51-000000000001", "x-user-roles": "admin" };
const alice = "0190d9a4-6b1e-7c3a-9f51-0000000000a1";
let tdb: TestDatabase;
let app: RunningBinary;
let nc: NatsConnection;

beforeAll(async () => {
  if (!withNats) return;
  tdb = await createTestDatabase({ prefix: "users_nats" });
  app = await startBinary({
    path: copyAlone(await buildService("users")),
    args: ["serve"],
    env: { DATABASE_URL: tdb.url, NATS_URL: natsUrl },
  });
  nc = await connect({ servers: natsUrl });
  const created = await fetch(`${app.url}/users`, {
    method: "POST",
    headers: { ...admin, "content-type": "application/json" },
    body: JSON.stringify({ id: alice, email: "alice@example.com", displayName: "Alice" }),
  });
  expect(created.status).toBe(201);
}, 120_000);

afterAll(async () => {
  await nc?.close();
  await app?.stop();
  await tdb?.drop();
});

async function overNats(id: unknown, identity: Record<string, string>) {
  const h = headers();
  for (const [k, v] of Object.entries(identity)) h.set(k, v);
  const msg = await nc.request("users.get", JSON.stringify({ id }), { timeout: 2000, headers: h });
  return { status: Number(msg.headers?.get("Nats-Service-Error-Code") ?? 200), body: msg.json() };
}

async function overHttp(id: string, identity: Record<string, string>) {
  const res = await fetch(`${app.url}/users/${id}`, { headers: identity });
  return { status: res.status, body: await res.json() };
}

function comparable(r: { status: number; body: unknown }) {
  const { requestId: _r, instance: _i, ...rest } = r.body as Record<string, unknown>;
  return { status: r.status, body: r.status === 200 ? r.body : { code: rest.code, status: rest.status } };
}

describe.skipIf(!withNats)("users over NATS", () => {
  test("users.get over NATS answers like GET /users/{id} over HTTP, errors included", async () => {
    const self = { "x-user-id": alice, "x-user-roles": "user" };
    const other = { "x-user-id": "0190d9a4-6b1e-7c3a-9f51-0000000000b0", "x-user-roles": "user" };
    const unknown = "0190d9a4-6b1e-7c3a-9f51-00000000ffff";
    const cases: [string, Record<string, string>][] = [
      [alice, self],
      [alice, admin],
      [alice, other],
      [unknown, admin],
      [alice, {}],
    ];
    for (const [id, identity] of cases) {
      const http = comparable(await overHttp(id, identity));
      const nats = comparable(await overNats(id, identity));
      expect(nats).toEqual(http);
    }
    expect((await overNats("not-a-uuid", admin)).status).toBe(400);
    expect((await overHttp("not-a-uuid", admin)).status).toBe(400);
  });

  test("$SRV.INFO lists the users service and its endpoint", async () => {
    const info = (await nc.request("$SRV.INFO.users", "", { timeout: 2000 })).json() as {
      name: string;
      endpoints: { subject: string }[];
    };
    expect(info.name).toBe("users");
    expect(info.endpoints.map((e) => e.subject)).toContain("users.get");
  });
});
