import { describe, expect, test } from "bun:test";
import pino from "pino";
import { AppError } from "../errors/index.ts";
import { createHttpApp } from "../http/index.ts";
import { clientFaultSuite } from "../testing/client-faults.ts";
import { errorCodeOf } from "../testing/errors.ts";
import { createBreaker } from "./breaker.ts";
import { createClient, type RequestTransport } from "./client.ts";
import { itemsEndpoint, itemsGet, U1, U2 } from "./fixtures.ts";
import { mountHttpEndpoint } from "./http.ts";
import { LocalBus } from "./local.ts";
import { dispatch } from "./wire.ts";

// A caller's user id is a UUID on every transport; any other id arrives as no identity.
const ADMIN = "0190d9a4-6b1e-7c3a-9f51-0000000000ad";
const ctxOf = (userId: string | null, roles: string[] = []) => ({
  identity: userId ? { userId, roles } : null,
  requestId: "r-1",
});

describe("an endpoint served over HTTP", () => {
  const { endpoint } = itemsEndpoint();
  const app = createHttpApp({ logger: pino({ level: "silent" }) });
  mountHttpEndpoint(app, endpoint, { method: "get", path: "/items/{id}", params: ["id"], query: ["verbose"] });

  test("merges path and query into the contract's input", async () => {
    const res = await app.request("/items/a?verbose=true", { headers: { "x-user-id": U1 } });
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({ id: "a", owner: U1, verbose: true });
  });

  test("answers the handler's AppError as problem+json with its status", async () => {
    const res = await app.request("/items/zz", { headers: { "x-user-id": U1 } });
    expect(res.status).toBe(404);
    expect(((await res.json()) as { code: string }).code).toBe("not_found");
  });

  test("documents the operation under the contract's name", () => {
    const doc = app.getOpenAPI31Document({ openapi: "3.1.0", info: { title: "t", version: "1" } });
    expect(doc.paths?.["/items/{id}"]?.get?.operationId).toBe("test.items.get");
    expect(Object.keys(doc.paths?.["/items/{id}"]?.get?.responses ?? {})).toEqual(
      expect.arrayContaining(["200", "400", "403", "404"]),
    );
  });
});

describe("an endpoint called through the in-process bus", () => {
  test("returns the same data and the same error codes as HTTP", async () => {
    const bus = new LocalBus();
    bus.serve([itemsEndpoint().endpoint]);
    const client = createClient(itemsGet, { transport: bus, timeoutMs: 500 });
    expect(await client.call({ id: "a" }, ctxOf(U1))).toEqual({ id: "a", owner: U1, verbose: false });
    expect(await errorCodeOf(client.call({ id: "zz" }, ctxOf(U1)))).toBe("not_found");
    expect(await errorCodeOf(client.call({ id: "b" }, ctxOf(U1)))).toBe("permission_denied");
    expect(await client.call({ id: "b" }, ctxOf(ADMIN, ["admin"]))).toMatchObject({ owner: U2 });
  });

  test("rejects invalid input before sending it", async () => {
    const bus = new LocalBus();
    const { endpoint, calls } = itemsEndpoint();
    bus.serve([endpoint]);
    const client = createClient(itemsGet, { transport: bus, timeoutMs: 500 });
    expect(await errorCodeOf(client.call({ id: "" }, ctxOf(U1)))).toBe("invalid_argument");
    expect(calls.n).toBe(0);
  });

  test("answers unavailable when nothing serves the endpoint", async () => {
    const client = createClient(itemsGet, { transport: new LocalBus(), timeoutMs: 200, retries: 0 });
    expect(await errorCodeOf(client.call({ id: "a" }, ctxOf(U1)))).toBe("unavailable");
  });
});

function flakyTransport(failures: number): RequestTransport & { sent: number } {
  const bus = new LocalBus();
  bus.serve([itemsEndpoint().endpoint]);
  const t = {
    sent: 0,
    async request(subject: string, payload: Uint8Array, headers: Record<string, string>, timeoutMs: number) {
      t.sent++;
      if (t.sent <= failures) throw new AppError("unavailable", "down");
      return bus.request(subject, payload, headers, timeoutMs);
    },
  };
  return t;
}

describe("the endpoint client's resilience", () => {
  test("retries an idempotent call after unavailable answers", async () => {
    const transport = flakyTransport(2);
    const client = createClient(itemsGet, { transport, timeoutMs: 1000, retries: 2 });
    expect(await client.call({ id: "a" }, ctxOf(U1))).toMatchObject({ id: "a" });
    expect(transport.sent).toBe(3);
  });

  test("never retries a call that is not idempotent", async () => {
    const transport = flakyTransport(1);
    const client = createClient({ ...itemsGet, idempotent: false }, { transport, timeoutMs: 1000, retries: 5 });
    expect(await errorCodeOf(client.call({ id: "a" }, ctxOf(U1)))).toBe("unavailable");
    expect(transport.sent).toBe(1);
  });

  test("does not retry business errors", async () => {
    const transport = flakyTransport(0);
    const client = createClient(itemsGet, { transport, timeoutMs: 1000, retries: 5 });
    expect(await errorCodeOf(client.call({ id: "zz" }, ctxOf(U1)))).toBe("not_found");
    expect(transport.sent).toBe(1);
  });

  test("stops calling while the breaker is open and recovers after the pause", async () => {
    let now = 0;
    const breaker = createBreaker({ failureThreshold: 3, openMs: 1000, now: () => now });
    const transport = flakyTransport(3);
    const client = createClient(itemsGet, { transport, timeoutMs: 1000, retries: 0, breaker });
    for (let i = 0; i < 3; i++) expect(await errorCodeOf(client.call({ id: "a" }, ctxOf(U1)))).toBe("unavailable");
    expect(breaker.state()).toBe("open");
    expect(await errorCodeOf(client.call({ id: "a" }, ctxOf(U1)))).toBe("unavailable");
    expect(transport.sent).toBe(3);
    now = 1001;
    expect(await client.call({ id: "a" }, ctxOf(U1))).toMatchObject({ id: "a" });
    expect(breaker.state()).toBe("closed");
  });
});

describe("the endpoint client through the in-process bus", () => {
  clientFaultSuite(
    async (_contract, endpoints) => {
      const bus = new LocalBus();
      bus.serve(endpoints);
      return { transport: bus, stop: async () => {} };
    },
    async () => ({ transport: new LocalBus(), stop: async () => {} }),
  );
});

describe("an endpoint served on a message transport", () => {
  test("refuses a NUL or a lone surrogate in any string of the input like HTTP does, naming the field", async () => {
    const { endpoint, calls } = itemsEndpoint();
    const ctx = ctxOf(U1);
    for (const raw of ['{"id":"a\\u0000"}', '{"id":"a\\ud800"}']) {
      const reply = await dispatch(endpoint, new TextEncoder().encode(raw), ctx);
      expect(reply.error?.status).toBe(400);
      expect(JSON.parse(new TextDecoder().decode(reply.body))).toMatchObject({
        code: "invalid_argument",
        errors: [{ path: "/id" }],
      });
    }
    expect(calls.n).toBe(0);
    expect((await dispatch(endpoint, new TextEncoder().encode('{"id":"a"}'), ctx)).error).toBeUndefined();
  });
});
