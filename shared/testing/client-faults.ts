// The endpoint client's fault suite, one suite run against every RequestTransport (in-process, NATS, gRPC).
import { expect, test } from "bun:test";
import { createBreaker } from "../endpoint/breaker.ts";
import { createClient, type RequestTransport } from "../endpoint/client.ts";
import { type Endpoint, type EndpointContract, implement } from "../endpoint/contract.ts";
import { itemsGet, U1 } from "../endpoint/fixtures.ts";
import { AppError } from "../errors/index.ts";
import { errorCodeOf } from "./errors.ts";

/** Serves endpoints of `contract` on one transport and gives the transport a client uses to reach them. */
export type ServeOnTransport = (
  contract: EndpointContract,
  endpoints: readonly Endpoint[],
) => Promise<{ transport: RequestTransport; stop(): Promise<void> }>;

/** A transport where nothing serves `contract` (a stopped server, no responders). */
export type NothingServes = (
  contract: EndpointContract,
) => Promise<{ transport: RequestTransport; stop(): Promise<void> }>;

const ctx = { identity: { userId: U1, roles: [] as string[] }, requestId: "faults" };

/** A fresh copy of the fixture contract, so transports with a shared namespace (NATS) keep tests apart. */
const fresh = (): EndpointContract =>
  ({ ...itemsGet, name: `faults${crypto.randomUUID().slice(0, 8)}.items.get` }) as EndpointContract;

/** An items endpoint that answers `unavailable` for its first `failures` calls, then the item; `calls` counts runs. */
function flaky(contract: EndpointContract, failures: number, delayMs = 0) {
  const calls = { n: 0 };
  const endpoint = implement(contract, async (value) => {
    const input = value as { id: string };
    calls.n++;
    if (delayMs) await Bun.sleep(delayMs);
    if (calls.n <= failures) throw new AppError("unavailable", "down for now");
    if (input.id === "zz") throw new AppError("not_found", "item zz not found");
    return { id: input.id, owner: U1, verbose: false };
  });
  return { endpoint, calls };
}

/**
 * Registers the client's fault tests for one transport: retries of idempotent calls only, business errors
 * never retried, the budget kept against a slow server, nothing serving is `unavailable`, and the breaker.
 * @example clientFaultSuite(async (contract, endpoints) => ({ transport: bus, stop: async () => {} }), nothing);
 */
export function clientFaultSuite(serve: ServeOnTransport, nothing: NothingServes): void {
  test("retries an idempotent call answered unavailable, within its budget", async () => {
    const contract = fresh();
    const { endpoint, calls } = flaky(contract, 2);
    const served = await serve(contract, [endpoint]);
    try {
      const client = createClient(contract, { transport: served.transport, timeoutMs: 2000, retries: 2 });
      expect(await client.call({ id: "a" }, ctx)).toMatchObject({ id: "a" });
      expect(calls.n).toBe(3);
    } finally {
      await served.stop();
    }
  });

  test("never retries a call that is not idempotent, nor a business error", async () => {
    const contract = { ...fresh(), idempotent: false };
    const { endpoint, calls } = flaky(contract, 1);
    const served = await serve(contract, [endpoint]);
    try {
      const client = createClient(contract, { transport: served.transport, timeoutMs: 2000, retries: 5 });
      expect(await errorCodeOf(client.call({ id: "a" }, ctx))).toBe("unavailable");
      expect(calls.n).toBe(1);
      expect(await errorCodeOf(client.call({ id: "zz" }, ctx))).toBe("not_found");
      expect(calls.n).toBe(2);
    } finally {
      await served.stop();
    }
  });

  test("answers unavailable within its budget when the server is too slow", async () => {
    const contract = fresh();
    const { endpoint } = flaky(contract, 0, 600);
    const served = await serve(contract, [endpoint]);
    try {
      const client = createClient(contract, { transport: served.transport, timeoutMs: 150, retries: 2 });
      const started = performance.now();
      expect(await errorCodeOf(client.call({ id: "a" }, ctx))).toBe("unavailable");
      expect(performance.now() - started).toBeLessThan(450);
    } finally {
      await served.stop();
    }
  });

  test("gives up no later than the caller's own deadline", async () => {
    const contract = fresh();
    const { endpoint } = flaky(contract, 0, 600);
    const served = await serve(contract, [endpoint]);
    try {
      const client = createClient(contract, { transport: served.transport, timeoutMs: 5000, retries: 0 });
      const started = performance.now();
      expect(await errorCodeOf(client.call({ id: "a" }, { ...ctx, deadline: Date.now() + 100 }))).toBe("unavailable");
      expect(performance.now() - started).toBeLessThan(400);
    } finally {
      await served.stop();
    }
  });

  test("answers unavailable when nothing serves, and its breaker then stops asking", async () => {
    const contract = fresh();
    const nobody = await nothing(contract);
    try {
      const now = 0;
      const breaker = createBreaker({ failureThreshold: 2, openMs: 1000, now: () => now });
      const client = createClient(contract, { transport: nobody.transport, timeoutMs: 300, retries: 0, breaker });
      expect(await errorCodeOf(client.call({ id: "a" }, ctx))).toBe("unavailable");
      expect(await errorCodeOf(client.call({ id: "a" }, ctx))).toBe("unavailable");
      expect(breaker.state()).toBe("open");
      const started = performance.now();
      expect(await errorCodeOf(client.call({ id: "a" }, ctx))).toBe("unavailable");
      expect(performance.now() - started).toBeLessThan(20);
    } finally {
      await nobody.stop();
    }
  });
}
