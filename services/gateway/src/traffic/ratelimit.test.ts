import { describe, expect, test } from "bun:test";
import { createRouterRateLimit } from "./ratelimit.ts";

const req = (headers: Record<string, string> = {}) => new Request("http://gw/api/products", { headers });

describe("qos/ratelimit/router", () => {
  test("a client over client_max_rate gets 429 with RateLimit headers and Retry-After, others still pass", () => {
    let clock = 0;
    const rl = createRouterRateLimit({ client_max_rate: 2, every: "1s" }, { now: () => clock });
    const first = rl.check(req(), "10.0.0.1");
    expect(first).toEqual({
      ok: true,
      headers: { "RateLimit-Limit": "2", "RateLimit-Remaining": "1", "RateLimit-Reset": "1" },
    });
    expect(rl.check(req(), "10.0.0.1").ok).toBe(true);
    const refused = rl.check(req(), "10.0.0.1");
    expect(refused).toMatchObject({ ok: false, status: 429 });
    expect(refused.headers).toMatchObject({ "RateLimit-Remaining": "0", "Retry-After": "1" });
    expect(rl.check(req(), "10.0.0.2").ok).toBe(true);
    clock += 500; // one token refilled at 2 per second
    expect(rl.check(req(), "10.0.0.1").ok).toBe(true);
    expect(rl.check(req(), "10.0.0.1").ok).toBe(false);
  });

  test("all clients together over max_rate get 503 with Retry-After", () => {
    let clock = 0;
    const rl = createRouterRateLimit({ max_rate: 3, every: "1m" }, { now: () => clock });
    for (const ip of ["a", "b", "c"]) expect(rl.check(req(), ip).ok).toBe(true);
    const refused = rl.check(req(), "d");
    expect(refused).toMatchObject({ ok: false, status: 503 });
    expect(refused.headers).toMatchObject({ "RateLimit-Limit": "3", "RateLimit-Remaining": "0", "Retry-After": "20" });
    clock += 20_000;
    expect(rl.check(req(), "d").ok).toBe(true);
  });

  test("capacity allows a burst larger than the rate, then the rate applies", () => {
    let clock = 0;
    const rl = createRouterRateLimit({ max_rate: 1, capacity: 5, every: "1s" }, { now: () => clock });
    for (let i = 0; i < 5; i++) expect(rl.check(req(), "x").ok).toBe(true);
    expect(rl.check(req(), "x").ok).toBe(false);
    clock += 1000;
    expect(rl.check(req(), "x").ok).toBe(true);
    expect(rl.check(req(), "x").ok).toBe(false);
  });

  test("with the header strategy each header value is its own client, and a request without it counts by IP", () => {
    const clock = 0;
    const rl = createRouterRateLimit(
      { client_max_rate: 1, every: "1h", strategy: "header", key: "X-User-Id" },
      { now: () => clock },
    );
    expect(rl.check(req({ "x-user-id": "u1" }), "1.1.1.1").ok).toBe(true);
    expect(rl.check(req({ "x-user-id": "u1" }), "2.2.2.2")).toMatchObject({ ok: false, status: 429 });
    expect(rl.check(req({ "x-user-id": "u2" }), "1.1.1.1").ok).toBe(true);
    expect(rl.check(req(), "1.1.1.1").ok).toBe(true);
    expect(rl.check(req(), "1.1.1.1").ok).toBe(false);
  });

  test("a client refused with 429 does not use up the endpoint quota", () => {
    const rl = createRouterRateLimit({ max_rate: 3, client_max_rate: 1, every: "1h" }, { now: () => 0 });
    expect(rl.check(req(), "abuser").ok).toBe(true);
    for (let i = 0; i < 10; i++) expect(rl.check(req(), "abuser")).toMatchObject({ status: 429 });
    expect(rl.check(req(), "b").ok).toBe(true);
    expect(rl.check(req(), "c").ok).toBe(true);
    expect(rl.check(req(), "d")).toMatchObject({ status: 503 });
  });

  test("per-client buckets are bounded by maxClients", () => {
    const rl = createRouterRateLimit({ client_max_rate: 1, every: "1h" }, { now: () => 0, maxClients: 100 });
    for (let i = 0; i < 1000; i++) rl.check(req(), `10.0.${i >> 8}.${i & 255}`);
    expect(rl.clients()).toBe(100);
  });

  test("an invalid config names the offending field", () => {
    expect(() => createRouterRateLimit({ max_rate: 1, every: "soon" })).toThrow(/qos\/ratelimit\/router\.every/);
    expect(() => createRouterRateLimit({ client_max_rate: 1, strategy: "header" })).toThrow(/router\.key/);
    expect(() => createRouterRateLimit({ client_max_rate: 1, strategy: "cookie" })).toThrow(/router\.strategy/);
  });
});
