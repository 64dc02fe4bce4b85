// Needs NATS at NATS_URL (default nats://127.0.0.1:4222); subjects are unique per test.

import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { connect, type NatsConnection } from "@nats-io/transport-node";
import { clientFaultSuite } from "../testing/client-faults.ts";
import { errorCodeOf } from "../testing/errors.ts";
import { natsForTests, natsTestUrl } from "../testing/nats.ts";
import { createClient } from "./client.ts";
import { implement } from "./contract.ts";
import { itemsEndpoint, itemsGet, U1 } from "./fixtures.ts";
import { natsTransport, semverOf, serveOverNats } from "./nats.ts";

const withNats = await natsForTests();
const silent = { error() {} };
let nc: NatsConnection;

beforeAll(async () => {
  if (withNats) nc = await connect({ servers: natsTestUrl, timeout: 3000 });
});
afterAll(() => nc?.close());

function uniqueContract() {
  return { ...itemsGet, name: `test${crypto.randomUUID().slice(0, 8)}.items.get` };
}

const ctx = { identity: { userId: U1, roles: [] }, requestId: "nats-test" };

describe.skipIf(!withNats)("an endpoint served over NATS", () => {
  test("answers a typed client with the same data and error codes as in-process", async () => {
    const contract = uniqueContract();
    const endpoint = implement(contract, itemsEndpoint().endpoint.handle);
    const service = await serveOverNats({
      nc,
      service: { name: "itemsvc", version: "1.0.0" },
      endpoints: [endpoint],
      logger: silent,
    });
    try {
      const client = createClient(contract, { transport: natsTransport(nc), timeoutMs: 1000 });
      expect(await client.call({ id: "a" }, ctx)).toEqual({ id: "a", owner: U1, verbose: false });
      expect(await errorCodeOf(client.call({ id: "zz" }, ctx))).toBe("not_found");
      expect(await errorCodeOf(client.call({ id: "b" }, ctx))).toBe("permission_denied");
    } finally {
      await service.stop();
    }
  });

  test("answers a plain NATS request with JSON, and errors with the micro error headers", async () => {
    const contract = uniqueContract();
    const endpoint = implement(contract, itemsEndpoint().endpoint.handle);
    const service = await serveOverNats({
      nc,
      service: { name: "itemsvc", version: "1.0.0" },
      endpoints: [endpoint],
      logger: silent,
    });
    try {
      const { headers } = await import("@nats-io/transport-node");
      const h = headers();
      h.set("x-user-id", U1);
      const ok = await nc.request(contract.name, JSON.stringify({ id: "a" }), { timeout: 1000, headers: h });
      expect(ok.json()).toEqual({ id: "a", owner: U1, verbose: false });
      const bad = await nc.request(contract.name, "{not json", { timeout: 1000, headers: h });
      expect(bad.headers?.get("Nats-Service-Error-Code")).toBe("400");
      expect((bad.json() as { code: string }).code).toBe("invalid_argument");
    } finally {
      await service.stop();
    }
  });

  test("is listed by $SRV.INFO with its subject", async () => {
    const contract = uniqueContract();
    const name = `info${crypto.randomUUID().slice(0, 6)}`;
    const service = await serveOverNats({
      nc,
      service: { name, version: "abc1234-dirty" },
      endpoints: [implement(contract, itemsEndpoint().endpoint.handle)],
      logger: silent,
    });
    try {
      const info = (await nc.request(`$SRV.INFO.${name}`, "", { timeout: 1000 })).json() as {
        version: string;
        endpoints: { subject: string; queue_group: string }[];
      };
      expect(info.version).toBe("0.0.0-abc1234-dirty");
      expect(info.endpoints.map((e) => e.subject)).toEqual([contract.name]);
      expect(info.endpoints[0]!.queue_group).toBe("q");
    } finally {
      await service.stop();
    }
  });

  test("load-balances across instances in one queue group", async () => {
    const contract = uniqueContract();
    const a = itemsEndpoint();
    const b = itemsEndpoint();
    const services = await Promise.all(
      [a, b].map((x) =>
        serveOverNats({
          nc,
          service: { name: "lb", version: "1.0.0" },
          endpoints: [implement(contract, x.endpoint.handle)],
          logger: silent,
        }),
      ),
    );
    try {
      const client = createClient(contract, { transport: natsTransport(nc), timeoutMs: 1000 });
      for (let i = 0; i < 40; i++) await client.call({ id: "a" }, ctx);
      expect(a.calls.n + b.calls.n).toBe(40);
      expect(a.calls.n).toBeGreaterThan(0);
      expect(b.calls.n).toBeGreaterThan(0);
    } finally {
      await Promise.all(services.map((s) => s.stop()));
    }
  });

  test("a call nobody serves fails fast as unavailable", async () => {
    const client = createClient(uniqueContract(), { transport: natsTransport(nc), timeoutMs: 2000, retries: 0 });
    const started = performance.now();
    expect(await errorCodeOf(client.call({ id: "a" }, ctx))).toBe("unavailable");
    expect(performance.now() - started).toBeLessThan(1000);
  });
});

describe.skipIf(!withNats)("the endpoint client over NATS", () => {
  clientFaultSuite(
    async (_contract, endpoints) => {
      const service = await serveOverNats({
        nc,
        service: { name: "faults", version: "1.0.0" },
        endpoints,
        logger: silent,
      });
      return { transport: natsTransport(nc), stop: async () => void (await service.stop()) };
    },
    async () => ({ transport: natsTransport(nc), stop: async () => {} }),
  );
});

test("build versions become semver for the micro protocol", () => {
  expect(semverOf("1.2.3")).toBe("1.2.3");
  expect(semverOf("1.2.3-rc.1")).toBe("1.2.3-rc.1");
  expect(semverOf("d20ac8a-dirty")).toBe("0.0.0-d20ac8a-dirty");
});
