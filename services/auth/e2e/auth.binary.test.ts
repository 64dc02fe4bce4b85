// End-to-end: the compiled auth binary, copied alone into an empty folder, against a fresh database.
import { describe, expect, test } from "bun:test";
import { createAccessTokenVerifier } from "@shared/identity";
import { smokeTestBinary } from "@shared/testing/smoke.ts";
import { createRemoteJWKSet, decodeProtectedHeader, jwtVerify } from "jose";
import postgres from "postgres";

const adminEmail = "root@example.com";
const adminPassword = "Bootstrap-passw0rd";

const smoke = smokeTestBinary("auth", {
  exercisePath: "/.well-known/jwks.json",
  env: {
    AUTH_BOOTSTRAP_ADMIN_EMAIL: adminEmail,
    AUTH_BOOTSTRAP_ADMIN_PASSWORD: adminPassword,
    // Re-read keys on every request, so a `keys rotate` run by another process shows at once.
    AUTH_KEYS_RELOAD_SEC: "0",
  },
});

const pw = "Sufficient-pass1";
interface Tokens {
  access_token: string;
  refresh_token: string;
}

const call = (path: string, body: unknown, headers: Record<string, string> = {}) =>
  fetch(`${smoke.app.url}${path}`, {
    method: "POST",
    headers: { "content-type": "application/json", ...headers },
    body: typeof body === "string" ? body : JSON.stringify(body),
  });

async function problem(res: Response, status: number, code: string) {
  expect(res.status).toBe(status);
  expect(res.headers.get("content-type")).toBe("application/problem+json");
  expect(((await res.json()) as { code: string }).code).toBe(code);
}

async function counts() {
  const sql = postgres(smoke.databaseUrl, { max: 1, onnotice: () => {} });
  try {
    const [row] = await sql`select
      (select count(*)::int from auth.accounts) as accounts,
      (select count(*)::int from auth.refresh_tokens) as tokens,
      (select count(*)::int from auth.signing_keys) as keys`;
    return row as { accounts: number; tokens: number; keys: number };
  } finally {
    await sql.end();
  }
}

const jwksUrl = () => new URL(`${smoke.app.url}/.well-known/jwks.json`);
const verifyOpts = { issuer: "shop-auth", audience: "shop", algorithms: ["EdDSA"] };

describe("the auth binary", () => {
  test("register -> login -> JWKS-verified token -> refresh rotates -> reuse revokes the family -> logout", async () => {
    const registered = await call("/auth/register", { email: "alice@example.com", password: pw });
    expect(registered.status).toBe(201);
    const { id } = (await registered.json()) as { id: string };

    const login = await call("/auth/login", { email: "alice@example.com", password: pw });
    expect(login.status).toBe(200);
    const first = (await login.json()) as Tokens;
    const { payload } = await jwtVerify(first.access_token, createRemoteJWKSet(jwksUrl()), verifyOpts);
    expect(payload).toMatchObject({ sub: id, roles: ["user"], iss: "shop-auth", aud: "shop" });
    expect(payload.exp! - payload.iat!).toBe(900);
    // The kit's verifier, as every service would use it, agrees.
    const kit = createAccessTokenVerifier({ jwksUrl: jwksUrl().href, issuer: "shop-auth", audience: "shop" });
    expect(await kit(first.access_token)).toMatchObject({ sub: id, roles: ["user"] });

    const rotated = await call("/auth/refresh", { refreshToken: first.refresh_token });
    expect(rotated.status).toBe(200);
    const second = (await rotated.json()) as Tokens;
    expect(second.refresh_token).not.toBe(first.refresh_token);
    const newest = (await (await call("/auth/refresh", { refreshToken: second.refresh_token })).json()) as Tokens;

    await problem(await call("/auth/refresh", { refreshToken: first.refresh_token }), 401, "unauthenticated");
    await problem(await call("/auth/refresh", { refreshToken: newest.refresh_token }), 401, "unauthenticated");

    const again = (await (await call("/auth/login", { email: "alice@example.com", password: pw })).json()) as Tokens;
    expect((await call("/auth/logout", { refreshToken: again.refresh_token })).status).toBe(204);
    await problem(await call("/auth/refresh", { refreshToken: again.refresh_token }), 401, "unauthenticated");
  });

  test("keys rotate keeps tokens of the previous key valid, and the JWKS lists both kids", async () => {
    await call("/auth/register", { email: "rot@example.com", password: pw });
    const before = (await (await call("/auth/login", { email: "rot@example.com", password: pw })).json()) as Tokens;
    const oldKid = decodeProtectedHeader(before.access_token).kid!;

    const r = smoke.run(["keys", "rotate"], { DATABASE_URL: smoke.databaseUrl, LOG_LEVEL: "warn" });
    expect(r.code).toBe(0);
    const { kid, previousKid } = JSON.parse(r.out) as { kid: string; previousKid: string };
    expect(previousKid).toBe(oldKid);

    const jwks = (await (await fetch(jwksUrl())).json()) as { keys: { kid: string; d?: string }[] };
    expect(jwks.keys.map((k) => k.kid)).toEqual([kid, oldKid]);
    expect(jwks.keys.some((k) => k.d !== undefined)).toBe(false);

    const after = (await (await call("/auth/login", { email: "rot@example.com", password: pw })).json()) as Tokens;
    expect(decodeProtectedHeader(after.access_token).kid).toBe(kid);
    const keys = createRemoteJWKSet(jwksUrl());
    await jwtVerify(before.access_token, keys, verifyOpts);
    await jwtVerify(after.access_token, keys, verifyOpts);
  });

  test("the stored private key is readable only inside the auth schema and never served", async () => {
    const sql = postgres(smoke.databaseUrl, { max: 1, onnotice: () => {} });
    try {
      const [row] = await sql`select private_key from auth.signing_keys where retired_at is null`;
      expect(String(row!.private_key)).toContain("PRIVATE KEY");
    } finally {
      await sql.end();
    }
    const config = smoke.run(["config", "print", "--keys.privateKey=secret-pem", "--bootstrapAdmin.password=x"]);
    expect(config.out).not.toContain("secret-pem");
    expect(JSON.parse(config.out).keys.privateKey).toBe("[redacted]");
  });

  test("bad input and authorization cases answer 4xx problem+json and write nothing", async () => {
    await call("/auth/register", { email: "bob@example.com", password: pw });
    const bob = (await (await call("/auth/register", { email: "carol@example.com", password: pw })).json()) as {
      id: string;
    };
    const before = await counts();
    await problem(await call("/auth/register", "{oops"), 400, "invalid_argument");
    await problem(await call("/auth/register", { email: 1, password: pw }), 400, "invalid_argument");
    await problem(
      await call("/auth/register", { email: "dan@example.com", password: "weakweakweak" }),
      400,
      "invalid_argument",
    );
    await problem(await call("/auth/register", { email: "BOB@example.com", password: pw }), 409, "conflict");
    await problem(
      await call("/auth/login", { email: "bob@example.com", password: "Wrong-passw0rd" }),
      401,
      "unauthenticated",
    );
    await problem(await call("/auth/refresh", { refreshToken: "forged" }), 401, "unauthenticated");
    const asBob = { "x-user-id": bob.id, "x-user-roles": "user" };
    await problem(await call(`/auth/users/${bob.id}/roles`, { grant: ["admin"] }, asBob), 403, "permission_denied");
    await problem(await call(`/auth/users/${bob.id}/roles`, { grant: ["admin"] }), 401, "unauthenticated");
    expect(await counts()).toEqual(before);
  });

  test("the bootstrapped admin grants roles; unknown ids answer 404", async () => {
    const admin = (await (await call("/auth/login", { email: adminEmail, password: adminPassword })).json()) as Tokens;
    const { payload } = await jwtVerify(admin.access_token, createRemoteJWKSet(jwksUrl()), verifyOpts);
    expect(payload.roles).toEqual(["user", "admin"]);
    const asAdmin = { "x-user-id": String(payload.sub), "x-user-roles": "user,admin" };
    const erin = (await (await call("/auth/register", { email: "erin@example.com", password: pw })).json()) as {
      id: string;
    };
    const granted = await call(`/auth/users/${erin.id}/roles`, { grant: ["admin"] }, asAdmin);
    expect(granted.status).toBe(200);
    expect(((await granted.json()) as { roles: string[] }).roles).toEqual(["user", "admin"]);
    await problem(
      await call("/auth/users/0190d9a4-6b1e-7c3a-9f51-00000000ffff/roles", { grant: ["admin"] }, asAdmin),
      404,
      "not_found",
    );
  });

  // The next two hash with the production argon2id cost, a dozen times each on a machine that may be busy.
  test("an attacker at one address is throttled with 429 and Retry-After, known email or not; the owner elsewhere logs in at once", async () => {
    const attacker = { "x-forwarded-for": "203.0.113.7" };
    for (const email of ["alice@example.com", "ghost@example.com"]) {
      const statuses: number[] = [];
      let retryAfter: string | null = null;
      for (let i = 0; i < 7; i++) {
        const res = await call("/auth/login", { email, password: "Wrong-passw0rd" }, attacker);
        statuses.push(res.status);
        retryAfter = res.headers.get("retry-after") ?? retryAfter;
        await res.arrayBuffer();
      }
      expect(statuses).toEqual([401, 401, 401, 401, 401, 429, 429]);
      expect(Number(retryAfter)).toBeGreaterThan(0);
    }
    await problem(
      await call("/auth/login", { email: "alice@example.com", password: pw }, attacker),
      429,
      "too_many_requests",
    );
    const owner = await call(
      "/auth/login",
      { email: "alice@example.com", password: pw },
      { "x-forwarded-for": "192.0.2.10" },
    );
    expect(owner.status).toBe(200);
    await owner.arrayBuffer();
  }, 30_000);

  test("fourteen concurrent wrong passwords for the admin check at most five, and the admin still logs in", async () => {
    const attempts = await Promise.all(
      Array.from({ length: 14 }, async () => {
        const res = await call(
          "/auth/login",
          { email: adminEmail, password: "Wrong-passw0rd" },
          { "x-forwarded-for": "198.51.100.14" },
        );
        await res.arrayBuffer();
        return res.status;
      }),
    );
    // 401 is a checked password, 429 one refused before any check
    expect(attempts.filter((s) => s === 401)).toHaveLength(5);
    expect(attempts.filter((s) => s === 429)).toHaveLength(9);
    const admin = await call(
      "/auth/login",
      { email: adminEmail, password: adminPassword },
      { "x-forwarded-for": "192.0.2.1" },
    );
    expect(admin.status).toBe(200);
    await admin.arrayBuffer();
  }, 30_000);

  test("the embedded list refuses a common password with 400 naming the field and why", async () => {
    const res = await call("/auth/register", { email: "frank@example.com", password: "password123" });
    expect(res.status).toBe(400);
    expect(await res.json()).toMatchObject({
      code: "invalid_argument",
      errors: [{ path: "/body/password", message: "is one of the most common passwords" }],
    });
  });
});
