// The security, traffic and cache modules wired into the pipeline, against real local backends and a
// real JWKS endpoint.
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { exportJWK, generateKeyPair, SignJWT } from "jose";
import { createFeatures } from "../features.ts";
import { rawExchange, startBackend, startGateway, stopAll, type TestGateway } from "../testing/harness.ts";

afterAll(stopAll);

let keys: Awaited<ReturnType<typeof generateKeyPair>>;
let gw: TestGateway;
let failing = true;

const jwks = startBackend(async () => Response.json({ keys: [{ ...(await exportJWK(keys.publicKey)), kid: "k1" }] }));
const users = startBackend((req, url) =>
  Response.json({ path: url.pathname, id: req.headers.get("x-user-id"), roles: req.headers.get("x-user-roles") }),
);
const orders = startBackend(() => Response.json([{ id: 1 }, { id: 2 }]));
const flaky = startBackend(() => (failing ? new Response("down", { status: 503 }) : Response.json({ up: true })));
let etagHits = 0;
const catalog = startBackend((req) => {
  if (req.headers.get("if-none-match") === '"v1"') {
    etagHits++;
    return new Response(null, { status: 304, headers: { etag: '"v1"', "cache-control": "max-age=0" } });
  }
  return Response.json({ products: ["a"] }, { headers: { etag: '"v1"', "cache-control": "max-age=0" } });
});
// answers differ by the identity headers (Vary), and each answer says which call made it
let variedCalls = 0;
const varied = startBackend((req) =>
  Response.json(
    { roles: req.headers.get("x-user-roles"), lang: req.headers.get("accept-language"), call: ++variedCalls },
    { headers: { "cache-control": "public, max-age=60", vary: "X-User-Roles, Accept-Language" } },
  ),
);
const fresh = startBackend(() => Response.json({ n: 1 }, { headers: { "cache-control": "max-age=60" } }));

const token = (claims: Record<string, unknown>) =>
  new SignJWT(claims)
    .setProtectedHeader({ alg: "EdDSA", kid: "k1" })
    .setIssuer("shop-auth")
    .setExpirationTime(Math.floor(Date.now() / 1000) + 300)
    .sign(keys.privateKey);

beforeAll(async () => {
  keys = await generateKeyPair("EdDSA", { extractable: true });
  const auth = (roles?: string[]) => ({
    "auth/validator": {
      alg: "EdDSA",
      jwk_url: `${jwks.url}/jwks.json`,
      disable_jwk_security: true,
      issuer: "shop-auth",
      propagate_claims: [
        ["sub", "X-User-Id"],
        ["roles", "X-User-Roles"],
      ],
      ...(roles ? { roles } : {}),
    },
  });
  gw = startGateway(
    {
      extra_config: { "security/cors": { allow_origins: ["https://shop.example"] } },
      endpoints: [
        {
          endpoint: "/api/me",
          input_headers: ["*"],
          extra_config: auth(),
          backend: [
            { host: [users.url], url_pattern: "/users/{JWT.sub}", group: "profile" },
            { host: [orders.url], url_pattern: "/orders", encoding: "safejson", group: "orders" },
          ],
        },
        {
          endpoint: "/api/admin",
          extra_config: auth(["admin"]),
          backend: [{ host: [users.url], url_pattern: "/admin" }],
        },
        {
          endpoint: "/api/limited",
          extra_config: { "qos/ratelimit/router": { client_max_rate: 2, every: "1m" } },
          backend: [{ host: [users.url], url_pattern: "/x" }],
        },
        {
          endpoint: "/api/flaky",
          backend: [
            {
              host: [flaky.url],
              url_pattern: "/f",
              extra_config: { "qos/circuit-breaker": { interval: 60, timeout: 1, max_errors: 1 } },
            },
          ],
        },
        {
          endpoint: "/api/products",
          backend: [{ host: [catalog.url], url_pattern: "/products", extra_config: { "qos/http-cache": {} } }],
        },
        {
          endpoint: "/api/varied",
          cache_ttl: "30s",
          input_headers: ["Authorization"],
          extra_config: auth(),
          backend: [{ host: [varied.url], url_pattern: "/v", extra_config: { "qos/http-cache": {} } }],
        },
        {
          endpoint: "/api/varied-noop",
          output_encoding: "no-op",
          input_headers: ["Accept-Language"],
          backend: [
            { host: [varied.url], url_pattern: "/v", encoding: "no-op", extra_config: { "qos/http-cache": {} } },
          ],
        },
        {
          endpoint: "/api/fresh-noop",
          output_encoding: "no-op",
          backend: [{ host: [fresh.url], url_pattern: "/fresh", extra_config: { "qos/http-cache": {} } }],
        },
        {
          endpoint: "/api/fresh",
          backend: [{ host: [fresh.url], url_pattern: "/fresh", extra_config: { "qos/http-cache": {} } }],
        },
      ],
    },
    createFeatures(),
  );
});

describe("security, traffic and cache inside the pipeline", () => {
  test("the cache keeps one answer per value of the headers the backend varies on, as the backend got them", async () => {
    const as = async (roles: string[]) => {
      const res = await fetch(`${gw.url}/api/varied`, {
        headers: { authorization: `Bearer ${await token({ sub: "u-9", roles })}` },
      });
      expect(res.status).toBe(200);
      // one user's answer: a shared cache in front must not keep it (KrakenD would say public)
      expect(res.headers.get("cache-control")).toBe("private, max-age=30");
      return (await res.json()) as { roles: string; call: number };
    };
    const user = await as(["user"]);
    expect(user.roles).toBe("user");
    // X-User-Roles comes from the claims: the admin must not get the user's stored answer
    const admin = await as(["admin"]);
    expect(admin.roles).toBe("admin");
    expect((await as(["user"])).call).toBe(user.call);
    expect((await as(["admin"])).call).toBe(admin.call);

    const lang = async (value: string, extra: Record<string, string> = {}) => {
      const res = await fetch(`${gw.url}/api/varied-noop`, { headers: { "accept-language": value, ...extra } });
      expect(res.status).toBe(200);
      return (await res.json()) as { lang: string; roles: string | null; call: number };
    };
    const en = await lang("en");
    const de = await lang("de");
    expect([en.lang, de.lang]).toEqual(["en", "de"]);
    expect((await lang("en")).call).toBe(en.call);
    // a client's own X-User-Roles never reaches the backend, so it cannot pick another stored answer
    const spoofed = await lang("en", { "x-user-roles": "admin" });
    expect(spoofed.call).toBe(en.call);
    expect(spoofed.roles).toBeNull();
  });

  test("verified claims reach the backend as identity headers and fill {JWT.sub}; forged ones never do", async () => {
    const res = await fetch(`${gw.url}/api/me`, {
      headers: { authorization: `Bearer ${await token({ sub: "u-7", roles: ["user"] })}`, "x-user-roles": "admin" },
    });
    expect(res.status).toBe(200);
    const body = await res.json();
    expect(body.profile).toEqual({ path: "/users/u-7", id: "u-7", roles: "user" });
    expect(body.orders).toEqual({ collection: [{ id: 1 }, { id: 2 }] });
  });

  test("a claim with characters beyond latin1 reaches the backend as its UTF-8 bytes, as KrakenD sends it", async () => {
    const res = await fetch(`${gw.url}/api/me`, {
      headers: { authorization: `Bearer ${await token({ sub: "u-8", roles: ["über", "李"] })}` },
    });
    expect(res.status).toBe(200);
    const roles: string = (await res.json()).profile.roles;
    // Bun.serve reads header bytes as latin1: decoding them as UTF-8 gives the claim back
    expect(Buffer.from(roles, "latin1").toString("utf8")).toBe("über,李");
  });

  test("no token is 401 and a missing role is 403, both with CORS headers", async () => {
    const origin = { origin: "https://shop.example" };
    const none = await fetch(`${gw.url}/api/me`, { headers: origin });
    expect(none.status).toBe(401);
    expect(none.headers.get("access-control-allow-origin")).toBe("https://shop.example");
    const notAdmin = await fetch(`${gw.url}/api/admin`, {
      headers: { ...origin, authorization: `Bearer ${await token({ sub: "u", roles: ["user"] })}` },
    });
    expect(notAdmin.status).toBe(403);
    expect(notAdmin.headers.get("access-control-allow-origin")).toBe("https://shop.example");
  });

  test("a CORS preflight is answered by the gateway", async () => {
    const res = await fetch(`${gw.url}/api/me`, {
      method: "OPTIONS",
      headers: { origin: "https://shop.example", "access-control-request-method": "GET" },
    });
    expect(res.status).toBeLessThan(300);
    expect(res.headers.get("access-control-allow-origin")).toBe("https://shop.example");
  });

  test("the client rate limit answers 429 with its headers", async () => {
    const statuses: number[] = [];
    let last: Response | undefined;
    for (let i = 0; i < 3; i++) {
      last = await fetch(`${gw.url}/api/limited`);
      statuses.push(last.status);
    }
    expect(statuses).toEqual([200, 200, 429]);
    expect(last!.headers.get("retry-after")).not.toBeNull();
    expect(last!.headers.get("ratelimit-limit")).not.toBeNull();
  });

  test("the circuit breaker opens after failures and recovers after its timeout", async () => {
    failing = true;
    const before = flaky.seen.length;
    for (let i = 0; i < 4; i++) await fetch(`${gw.url}/api/flaky`);
    expect(flaky.seen.length - before).toBe(2);
    const text = await (await fetch(`${gw.url}/metrics`)).text();
    expect(text).toMatch(/gateway_circuit_breaker_state\{[^}]*backend="http:\/\/127\.0\.0\.1:\d+\/f"[^}]*\} 2/);
    failing = false;
    await Bun.sleep(1100);
    expect((await fetch(`${gw.url}/api/flaky`)).status).toBe(200);
  });

  test("a fresh cached answer is served without calling the backend and counted", async () => {
    const before = fresh.seen.length;
    await fetch(`${gw.url}/api/fresh`);
    await fetch(`${gw.url}/api/fresh`);
    expect(fresh.seen.length - before).toBe(1);
    expect(await (await fetch(`${gw.url}/metrics`)).text()).toMatch(/gateway_cache_hits_total\{[^}]*\} [1-9]/);
  });

  test("a pass-through (no-op) route is cached too, keeping the backend's headers", async () => {
    const before = fresh.seen.length;
    const first = await fetch(`${gw.url}/api/fresh-noop`);
    const second = await fetch(`${gw.url}/api/fresh-noop`);
    expect(await second.json()).toEqual({ n: 1 });
    expect(second.headers.get("cache-control")).toBe("max-age=60");
    expect(await first.json()).toEqual({ n: 1 });
    expect(fresh.seen.length - before).toBe(1);
  });

  test("cache hits on the wire: the entry's head once per answer, each with its own request id and length", async () => {
    await fetch(`${gw.url}/api/fresh-noop`);
    const get = (last: boolean) =>
      `GET /api/fresh-noop HTTP/1.1\r\nhost: x\r\n${last ? "connection: close\r\n" : "x-request-id: mine-1\r\n"}\r\n`;
    const raw = await rawExchange(gw.url, get(false) + get(true));
    const answers = raw.split("HTTP/1.1 ").slice(1);
    expect(answers).toHaveLength(2);
    for (const a of answers) {
      expect(a).toStartWith("200 OK\r\n");
      expect(a.match(/^content-length: /gim)).toHaveLength(1);
      expect(a.match(/^date: /gim)).toHaveLength(1);
      expect(a.match(/^cache-control: max-age=60\r$/gim)).toHaveLength(1);
      expect(a).toEndWith('\r\n\r\n{"n":1}');
    }
    expect(answers[0]).toContain("x-request-id: mine-1\r\n");
    expect(answers[1]).toMatch(/x-request-id: [0-9a-f-]{36}\r\n/);
  });

  test("a stale entry with an ETag is revalidated and a 304 serves the cached body", async () => {
    const first = await fetch(`${gw.url}/api/products`);
    expect(await first.json()).toEqual({ products: ["a"] });
    const second = await fetch(`${gw.url}/api/products`);
    expect(await second.json()).toEqual({ products: ["a"] });
    expect(etagHits).toBe(1);
  });
});
