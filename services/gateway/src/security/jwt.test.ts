import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { createHmac } from "node:crypto";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { exportJWK, generateKeyPair, type JWK, SignJWT } from "jose";
import { createJwtValidator } from "./jwt.ts";

type Key = Awaited<ReturnType<typeof generateKeyPair>>;

let ed: Key;
let edOther: Key;
let rsa: Key;
let edJwk: JWK;
let served: JWK[] = [];
let jwksHits = 0;
let server: ReturnType<typeof Bun.serve>;
let jwksUrl: string;
let dir: string;
const hsSecret = "a-long-enough-shared-secret-for-hs256-tests";

beforeAll(async () => {
  ed = await generateKeyPair("EdDSA", { extractable: true });
  edOther = await generateKeyPair("EdDSA", { extractable: true });
  rsa = await generateKeyPair("RS256", { extractable: true });
  edJwk = { ...(await exportJWK(ed.publicKey)), kid: "ed-1", use: "sig" };
  const rsJwk = { ...(await exportJWK(rsa.publicKey)), kid: "rs-1" };
  served = [edJwk, rsJwk];
  server = Bun.serve({
    port: 0,
    hostname: "127.0.0.1",
    fetch(req) {
      if (new URL(req.url).pathname !== "/jwks.json") return new Response(null, { status: 404 });
      jwksHits++;
      return Response.json({ keys: served });
    },
  });
  jwksUrl = `http://127.0.0.1:${server.port}/jwks.json`;
  dir = mkdtempSync(join(tmpdir(), "jwt-test-"));
});

afterAll(() => {
  server.stop(true);
  rmSync(dir, { recursive: true, force: true });
});

const nowSec = () => Math.floor(Date.now() / 1000);

async function edToken(
  claims: Record<string, unknown>,
  opts: { kid?: string; key?: Key; exp?: number | null; typ?: string } = {},
) {
  const jwt = new SignJWT(claims)
    .setProtectedHeader({ alg: "EdDSA", kid: opts.kid ?? "ed-1", ...(opts.typ ? { typ: opts.typ } : {}) })
    .setIssuer("https://auth.shop.local")
    .setAudience("shop");
  if (opts.exp !== null) jwt.setExpirationTime(opts.exp ?? nowSec() + 300);
  return jwt.sign((opts.key ?? ed).privateKey);
}

/** The same bytes spelled differently: the unused low bits of the last character set. */
function reencoded(part: string): string {
  const alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
  const last = alphabet.indexOf(part.at(-1)!);
  return part.slice(0, -1) + alphabet[last | 1];
}

const bearer = (token: string, extra: Record<string, string> = {}) =>
  new Request("http://gw/api", { headers: { authorization: `Bearer ${token}`, ...extra } });

const edCfg = (extra: Record<string, unknown> = {}) => ({
  alg: "EdDSA",
  jwk_url: jwksUrl,
  disable_jwk_security: true,
  cache: true,
  issuer: "https://auth.shop.local",
  audience: ["shop"],
  ...extra,
});

const b64 = (v: unknown) => Buffer.from(JSON.stringify(v)).toString("base64url");

describe("auth/validator", () => {
  test("a valid EdDSA token from the JWKS is accepted and its claims returned", async () => {
    const jwt = createJwtValidator(edCfg());
    const r = await jwt.validate(bearer(await edToken({ sub: "u1" })));
    expect(r).toMatchObject({ ok: true, claims: { sub: "u1", iss: "https://auth.shop.local" } });
  });

  test("a request without a token is refused with 401", async () => {
    const jwt = createJwtValidator(edCfg());
    expect(await jwt.validate(new Request("http://gw/api"))).toMatchObject({ ok: false, status: 401 });
    expect(await jwt.validate(new Request("http://gw/api", { headers: { authorization: "Basic abc" } }))).toMatchObject(
      { ok: false, status: 401 },
    );
  });

  test("a token signed by another key under the same kid is refused with 401", async () => {
    const jwt = createJwtValidator(edCfg());
    const r = await jwt.validate(bearer(await edToken({ sub: "u1" }, { key: edOther })));
    expect(r).toEqual({ ok: false, status: 401, message: "invalid signature" });
  });

  test("a tampered payload is refused with 401", async () => {
    const jwt = createJwtValidator(edCfg());
    const [h, , s] = (await edToken({ sub: "u1", roles: ["user"] })).split(".");
    const forged = `${h}.${b64({ sub: "u1", roles: ["admin"], iss: "https://auth.shop.local", aud: "shop" })}.${s}`;
    expect(await jwt.validate(bearer(forged))).toMatchObject({ ok: false, status: 401 });
  });

  test("an expired token is refused with 401", async () => {
    const jwt = createJwtValidator(edCfg());
    const r = await jwt.validate(bearer(await edToken({ sub: "u1" }, { exp: nowSec() - 60 })));
    expect(r).toEqual({ ok: false, status: 401, message: "token expired" });
  });

  test("a token whose signature is re-encoded with other unused bits is refused, cached or not", async () => {
    const token = await edToken({ sub: "u1" });
    const [h, p, sig] = token.split(".") as [string, string, string];
    const variant = `${h}.${p}.${reencoded(sig)}`;
    expect(Buffer.from(reencoded(sig), "base64url").equals(Buffer.from(sig, "base64url"))).toBe(true);
    const cached = createJwtValidator(edCfg());
    expect(await cached.validate(bearer(token))).toMatchObject({ ok: true });
    expect(await cached.validate(bearer(variant))).toEqual({ ok: false, status: 401, message: "malformed token" });
    const fresh = createJwtValidator(edCfg());
    expect(await fresh.validate(bearer(variant))).toEqual({ ok: false, status: 401, message: "malformed token" });
  });

  test("a part with padding or a character outside base64url is refused", async () => {
    const jwt = createJwtValidator(edCfg());
    const [h, p, sig] = (await edToken({ sub: "u1" })).split(".") as [string, string, string];
    for (const bad of [`${h}.${p}.${sig}==`, `${h}=.${p}.${sig}`, `${h}.${p}+.${sig}`, `${h}.${p}.${sig}A`]) {
      expect(await jwt.validate(bearer(bad))).toMatchObject({ ok: false, status: 401 });
    }
  });

  test("a token without exp is refused unless allow_missing_exp is set", async () => {
    const token = await edToken({ sub: "u1" }, { exp: null });
    expect(await createJwtValidator(edCfg()).validate(bearer(token))).toEqual({
      ok: false,
      status: 401,
      message: "token without expiry",
    });
    const lenient = createJwtValidator(edCfg({ allow_missing_exp: true }));
    expect(await lenient.validate(bearer(token))).toMatchObject({ ok: true, claims: { sub: "u1" } });
  });

  test("with typ configured, a token of another or no type is refused and the media type matches loosely", async () => {
    const jwt = createJwtValidator(edCfg({ typ: "at+jwt" }));
    expect(await jwt.validate(bearer(await edToken({ sub: "u1" }, { typ: "at+jwt" })))).toMatchObject({ ok: true });
    expect(await jwt.validate(bearer(await edToken({ sub: "u1" }, { typ: "application/AT+JWT" })))).toMatchObject({
      ok: true,
    });
    for (const typ of ["JWT", undefined]) {
      expect(await jwt.validate(bearer(await edToken({ sub: "u1" }, { typ })))).toEqual({
        ok: false,
        status: 401,
        message: "unexpected token type",
      });
    }
    // without typ configured any type passes, as in KrakenD
    expect(await createJwtValidator(edCfg()).validate(bearer(await edToken({}, { typ: "JWT" })))).toMatchObject({
      ok: true,
    });
  });

  test("a token from another issuer is refused with 401", async () => {
    const jwt = createJwtValidator(edCfg({ issuer: "https://someone.else" }));
    expect(await jwt.validate(bearer(await edToken({ sub: "u1" })))).toEqual({
      ok: false,
      status: 401,
      message: "wrong issuer",
    });
  });

  test("a token missing one of the configured audiences is refused with 401", async () => {
    const jwt = createJwtValidator(edCfg({ audience: ["shop", "admin-api"] }));
    expect(await jwt.validate(bearer(await edToken({ sub: "u1" })))).toEqual({
      ok: false,
      status: 401,
      message: "wrong audience",
    });
  });

  test("an unsigned alg:none token is refused with 401", async () => {
    const jwt = createJwtValidator(edCfg());
    const claims = { sub: "u1", iss: "https://auth.shop.local", aud: "shop", exp: nowSec() + 60 };
    const none = `${b64({ alg: "none", kid: "ed-1" })}.${b64(claims)}.`;
    expect(await jwt.validate(bearer(none))).toEqual({ ok: false, status: 401, message: "unexpected algorithm" });
  });

  test("an HS256 token keyed with the EdDSA public key is refused with 401 (algorithm confusion)", async () => {
    const jwt = createJwtValidator(edCfg());
    const claims = { sub: "u1", iss: "https://auth.shop.local", aud: "shop", exp: nowSec() + 60 };
    for (const secret of [Buffer.from(edJwk.x!, "base64url"), Buffer.from(JSON.stringify(edJwk)), edJwk.x!]) {
      const input = `${b64({ alg: "HS256", kid: "ed-1" })}.${b64(claims)}`;
      const sig = createHmac("sha256", secret).update(input).digest("base64url");
      expect(await jwt.validate(bearer(`${input}.${sig}`))).toMatchObject({ ok: false, status: 401 });
    }
    // even when the attacker also claims the configured alg, the HMAC is no Ed25519 signature
    const input = `${b64({ alg: "EdDSA", kid: "ed-1" })}.${b64(claims)}`;
    const sig = createHmac("sha256", Buffer.from(edJwk.x!, "base64url")).update(input).digest("base64url");
    expect(await jwt.validate(bearer(`${input}.${sig}`))).toMatchObject({ ok: false, status: 401 });
  });

  test("a token naming a kid the JWKS does not have is refused with 401", async () => {
    const jwt = createJwtValidator(edCfg());
    expect(await jwt.validate(bearer(await edToken({ sub: "u1" }, { kid: "nope" })))).toEqual({
      ok: false,
      status: 401,
      message: "unknown key id",
    });
  });

  test("a valid token without any of the required roles is refused with 403, with one it passes", async () => {
    const jwt = createJwtValidator(edCfg({ roles_key: "roles", roles: ["admin", "ops"] }));
    expect(await jwt.validate(bearer(await edToken({ sub: "u1", roles: ["user"] })))).toMatchObject({
      ok: false,
      status: 403,
    });
    expect(await jwt.validate(bearer(await edToken({ sub: "u1" })))).toMatchObject({ ok: false, status: 403 });
    expect(await jwt.validate(bearer(await edToken({ sub: "u2", roles: ["user", "ops"] })))).toMatchObject({
      ok: true,
    });
  });

  test("roles under a nested key are found when roles_key_is_nested is set", async () => {
    const nested = { resource_access: { shop: { roles: ["admin"] } } };
    const token = await edToken({ sub: "u1", ...nested });
    const flat = createJwtValidator(edCfg({ roles_key: "resource_access.shop.roles", roles: ["admin"] }));
    expect(await flat.validate(bearer(token))).toMatchObject({ ok: false, status: 403 });
    const deep = createJwtValidator(
      edCfg({ roles_key: "resource_access.shop.roles", roles_key_is_nested: true, roles: ["admin"] }),
    );
    expect(await deep.validate(bearer(token))).toMatchObject({ ok: true });
  });

  test("scopes match any or all of the listed scopes, from a space-separated claim or a list", async () => {
    const any = createJwtValidator(edCfg({ scopes: ["orders:read", "orders:write"], scopes_key: "scope" }));
    const all = createJwtValidator(
      edCfg({ scopes: ["orders:read", "orders:write"], scopes_key: "data.scopes", scopes_matcher: "all" }),
    );
    const readOnly = await edToken({ sub: "u1", scope: "profile orders:read", data: { scopes: ["orders:read"] } });
    const both = await edToken({ sub: "u1", scope: "x", data: { scopes: ["orders:write", "orders:read"] } });
    expect(await any.validate(bearer(readOnly))).toMatchObject({ ok: true });
    expect(await any.validate(bearer(both))).toMatchObject({ ok: false, status: 403 });
    expect(await all.validate(bearer(readOnly))).toMatchObject({ ok: false, status: 403 });
    expect(await all.validate(bearer(both))).toMatchObject({ ok: true });
  });

  test("the token is read from the cookie_key cookie when there is no Authorization header", async () => {
    const jwt = createJwtValidator(edCfg({ cookie_key: "session" }));
    const token = await edToken({ sub: "cookie-user" });
    const req = new Request("http://gw/api", { headers: { cookie: `theme=dark; session=${token}; x=1` } });
    expect(await jwt.validate(req)).toMatchObject({ ok: true, claims: { sub: "cookie-user" } });
    const other = new Request("http://gw/api", { headers: { cookie: `theme=dark; other=${token}` } });
    expect(await jwt.validate(other)).toMatchObject({ ok: false, status: 401 });
  });

  test("the JWKS is downloaded once and reused, then downloaded again for a new kid", async () => {
    let fetches = 0;
    const countingFetch = ((input: RequestInfo | URL, init?: RequestInit) => {
      fetches++;
      return fetch(input, init);
    }) as typeof fetch;
    let clock = Date.now();
    const jwt = createJwtValidator(edCfg(), { fetch: countingFetch, now: () => clock });
    for (let i = 0; i < 5; i++) {
      expect(await jwt.validate(bearer(await edToken({ sub: `u${i}` })))).toMatchObject({ ok: true });
    }
    expect(fetches).toBe(1);

    const rotated = await generateKeyPair("EdDSA", { extractable: true });
    const before = served;
    served = [...served, { ...(await exportJWK(rotated.publicKey)), kid: "ed-2" }];
    try {
      // within the cooldown an unknown kid does not trigger a download
      const newKidToken = await edToken({ sub: "new" }, { kid: "ed-2", key: rotated });
      expect(await jwt.validate(bearer(newKidToken))).toMatchObject({ ok: false, status: 401 });
      expect(fetches).toBe(1);
      clock += 11_000;
      expect(await jwt.validate(bearer(newKidToken))).toMatchObject({ ok: true, claims: { sub: "new" } });
      expect(fetches).toBe(2);
      // a random kid right after is answered from memory
      expect(await jwt.validate(bearer(await edToken({ sub: "x" }, { kid: "random" })))).toMatchObject({
        status: 401,
      });
      expect(fetches).toBe(2);
    } finally {
      served = before;
    }
  });

  test("concurrent first requests share a single JWKS download", async () => {
    const start = jwksHits;
    const jwt = createJwtValidator(edCfg());
    const tokens = await Promise.all([1, 2, 3, 4].map((i) => edToken({ sub: `c${i}` })));
    const results = await Promise.all(tokens.map((t) => jwt.validate(bearer(t))));
    expect(results.every((r) => r.ok)).toBe(true);
    expect(jwksHits - start).toBe(1);
  });

  test("a cached verified token stops being accepted once it expires", async () => {
    let clock = Date.now();
    const jwt = createJwtValidator(edCfg(), { now: () => clock });
    const token = await edToken({ sub: "u1" }, { exp: Math.floor(clock / 1000) + 30 });
    expect(await jwt.validate(bearer(token))).toMatchObject({ ok: true });
    clock += 20_000;
    expect(await jwt.validate(bearer(token))).toMatchObject({ ok: true });
    clock += 15_000;
    expect(await jwt.validate(bearer(token))).toMatchObject({ ok: false, status: 401, message: "token expired" });
  });

  test("RS256 tokens verify against the RSA key of the same JWKS", async () => {
    const jwt = createJwtValidator({ alg: "RS256", jwk_url: jwksUrl, disable_jwk_security: true });
    const token = await new SignJWT({ sub: "rs" })
      .setProtectedHeader({ alg: "RS256", kid: "rs-1" })
      .setExpirationTime("5m")
      .sign(rsa.privateKey);
    expect(await jwt.validate(bearer(token))).toMatchObject({ ok: true, claims: { sub: "rs" } });
    // the Ed25519 key is not an RSA key, so its kid is unknown to an RS256 validator
    expect(await jwt.validate(bearer(await edToken({})))).toMatchObject({ ok: false, status: 401 });
  });

  test("HS256 tokens verify against a jwk_local_path secret and fail with another secret", async () => {
    const path = join(dir, "hs.json");
    const k = Buffer.from(hsSecret).toString("base64url");
    writeFileSync(path, JSON.stringify({ keys: [{ kty: "oct", kid: "hs-1", k, alg: "HS256" }] }));
    const jwt = createJwtValidator({ alg: "HS256", jwk_local_path: path });
    const sign = (secret: string) =>
      new SignJWT({ sub: "hs" })
        .setProtectedHeader({ alg: "HS256", kid: "hs-1" })
        .setExpirationTime("5m")
        .sign(new TextEncoder().encode(secret));
    expect(await jwt.validate(bearer(await sign(hsSecret)))).toMatchObject({ ok: true, claims: { sub: "hs" } });
    expect(await jwt.validate(bearer(await sign(`${hsSecret}-x`)))).toEqual({
      ok: false,
      status: 401,
      message: "invalid signature",
    });
  });

  test("an invalid config names the offending field", () => {
    expect(() => createJwtValidator({ alg: "XX256", jwk_url: "https://a/jwks" })).toThrow(/auth\/validator\.alg/);
    expect(() => createJwtValidator({ alg: "EdDSA" })).toThrow(/auth\/validator\.jwk_url/);
    expect(() => createJwtValidator({ alg: "EdDSA", jwk_url: "http://a/jwks" })).toThrow(/disable_jwk_security/);
    expect(() => createJwtValidator({ alg: "EdDSA", jwk_url: "https://a/jwks", rolez: [] })).toThrow(/rolez/);
    expect(() => createJwtValidator({ alg: "EdDSA", jwk_url: "https://a/jwks", "@comment": "ok" })).not.toThrow();
  });
});
