import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { exportJWK, generateKeyPair, type JWK, SignJWT } from "jose";
import pino from "pino";
import { createHttpApp, identityOf } from "../http/index.ts";
import { createAccessTokenVerifier, verifyForwardedIdentity } from "./index.ts";

const issuer = "shop-auth";
const audience = "shop";
const alice = "0190d9a4-6b1e-7c3a-9f51-2b9d3c4e5fa1";
const bob = "0190d9a4-6b1e-7c3a-9f51-2b9d3c4e5fb0";

type KeyPair = Awaited<ReturnType<typeof generateKeyPair>>;
let current: KeyPair;
let stranger: KeyPair;
let published: JWK[] = [];
let jwksHits = 0;
let server: ReturnType<typeof Bun.serve>;
let jwksUrl: string;

async function publicJwk(pair: KeyPair, kid: string): Promise<JWK> {
  return { ...(await exportJWK(pair.publicKey)), kid, alg: "EdDSA", use: "sig" };
}

beforeAll(async () => {
  current = await generateKeyPair("EdDSA");
  stranger = await generateKeyPair("EdDSA");
  published = [await publicJwk(current, "k1")];
  server = Bun.serve({
    port: 0,
    hostname: "127.0.0.1",
    fetch(req) {
      if (new URL(req.url).pathname !== "/.well-known/jwks.json") return new Response(null, { status: 404 });
      jwksHits++;
      return Response.json({ keys: published });
    },
  });
  jwksUrl = `http://127.0.0.1:${server.port}/.well-known/jwks.json`;
});

afterAll(() => server.stop(true));

function sign(
  claims: { sub: string; roles: unknown },
  opts: { key?: KeyPair; kid?: string; iss?: string; aud?: string; exp?: number } = {},
) {
  const now = Math.floor(Date.now() / 1000);
  return new SignJWT({ roles: claims.roles })
    .setProtectedHeader({ alg: "EdDSA", kid: opts.kid ?? "k1" })
    .setSubject(claims.sub)
    .setIssuer(opts.iss ?? issuer)
    .setAudience(opts.aud ?? audience)
    .setIssuedAt(now)
    .setExpirationTime(opts.exp ?? now + 900)
    .setJti(crypto.randomUUID())
    .sign((opts.key ?? current).privateKey);
}

function makeApp(enabled = true, extra: { cooldownMs?: number } = {}) {
  const app = createHttpApp({ logger: pino({ level: "silent" }) });
  app.use(verifyForwardedIdentity({ enabled, jwksUrl, issuer, audience, ...extra }));
  app.get("/whoami", (c) => c.json({ identity: identityOf(c) }));
  return app;
}

const headers = (id: string, roles: string, token?: string) => ({
  "x-user-id": id,
  "x-user-roles": roles,
  ...(token ? { authorization: `Bearer ${token}` } : {}),
});

async function expect401(res: Response, detail: RegExp) {
  expect(res.status).toBe(401);
  expect(res.headers.get("content-type")).toBe("application/problem+json");
  const body = (await res.json()) as { code: string; detail: string };
  expect(body.code).toBe("unauthenticated");
  expect(body.detail).toMatch(detail);
}

describe("verifyForwardedIdentity", () => {
  test("a request whose headers match a valid token passes", async () => {
    const token = await sign({ sub: alice, roles: ["user", "admin"] });
    const res = await makeApp().request("/whoami", { headers: headers(alice, "admin, user", token) });
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({ identity: { userId: alice, roles: ["admin", "user"] } });
  });

  test("a request without identity headers passes, token or not", async () => {
    const res = await makeApp().request("/whoami");
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({ identity: null });
  });

  test("a forged X-User-Id without a token is rejected", async () => {
    await expect401(
      await makeApp().request("/whoami", { headers: headers(alice, "user") }),
      /without its access token/,
    );
  });

  test("X-User-Roles alone (no X-User-Id) is rejected", async () => {
    const res = await makeApp().request("/whoami", { headers: { "x-user-roles": "admin" } });
    await expect401(res, /without X-User-Id/);
  });

  test("a forged X-User-Id next to someone else's valid token is rejected", async () => {
    const token = await sign({ sub: bob, roles: ["user"] });
    await expect401(await makeApp().request("/whoami", { headers: headers(alice, "user", token) }), /X-User-Id/);
  });

  test("roles that differ from the token's are rejected, added or missing", async () => {
    const token = await sign({ sub: alice, roles: ["user"] });
    const app = makeApp();
    await expect401(await app.request("/whoami", { headers: headers(alice, "user,admin", token) }), /X-User-Roles/);
    const adminToken = await sign({ sub: alice, roles: ["user", "admin"] });
    await expect401(await app.request("/whoami", { headers: headers(alice, "user", adminToken) }), /X-User-Roles/);
  });

  test("tokens signed by another key, for another audience or issuer, or expired are rejected", async () => {
    const app = makeApp();
    const bad = [
      await sign({ sub: alice, roles: ["user"] }, { key: stranger }),
      await sign({ sub: alice, roles: ["user"] }, { aud: "elsewhere" }),
      await sign({ sub: alice, roles: ["user"] }, { iss: "someone" }),
      await sign({ sub: alice, roles: ["user"] }, { exp: Math.floor(Date.now() / 1000) - 60 }),
      "not.a.token",
    ];
    for (const token of bad) {
      await expect401(await app.request("/whoami", { headers: headers(alice, "user", token) }), /access token/);
    }
  });

  test("a token without roles is rejected", async () => {
    const token = await sign({ sub: alice, roles: "admin" });
    await expect401(await makeApp().request("/whoami", { headers: headers(alice, "admin", token) }), /no roles/);
  });

  test("when disabled, everything passes, forged headers included", async () => {
    const res = await makeApp(false).request("/whoami", { headers: headers(alice, "admin") });
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({ identity: { userId: alice, roles: ["admin"] } });
  });

  test("the JWKS is downloaded once, and again when a token names a new kid", async () => {
    const app = makeApp(true, { cooldownMs: 0 });
    const before = jwksHits;
    for (let i = 0; i < 3; i++) {
      const token = await sign({ sub: alice, roles: ["user"] });
      expect((await app.request("/whoami", { headers: headers(alice, "user", token) })).status).toBe(200);
    }
    expect(jwksHits - before).toBe(1);
    // A rotation: the new key is published and signs; the old one stays in the set.
    const next = await generateKeyPair("EdDSA");
    published = [await publicJwk(next, "k2"), ...published];
    try {
      const token = await sign({ sub: alice, roles: ["user"] }, { key: next, kid: "k2" });
      expect((await app.request("/whoami", { headers: headers(alice, "user", token) })).status).toBe(200);
      expect(jwksHits - before).toBe(2);
    } finally {
      published = published.slice(1);
    }
  });

  test("unknown kids do not make it download the JWKS more than once per cooldown", async () => {
    const app = makeApp(true, { cooldownMs: 60_000 });
    const good = await sign({ sub: alice, roles: ["user"] });
    expect((await app.request("/whoami", { headers: headers(alice, "user", good) })).status).toBe(200);
    const before = jwksHits;
    for (let i = 0; i < 5; i++) {
      const token = await sign({ sub: alice, roles: ["user"] }, { key: stranger, kid: `nope-${i}` });
      expect((await app.request("/whoami", { headers: headers(alice, "user", token) })).status).toBe(401);
    }
    expect(jwksHits - before).toBe(0);
  });

  test("an unreachable JWKS answers 503, not 401", async () => {
    const verify = createAccessTokenVerifier({
      jwksUrl: "http://127.0.0.1:9/.well-known/jwks.json",
      issuer,
      audience,
      fetch: (() => Promise.reject(new TypeError("connection refused"))) as unknown as typeof fetch,
    });
    const token = await sign({ sub: alice, roles: ["user"] });
    await expect(verify(token)).rejects.toMatchObject({ code: "unavailable" });
  });
});
