import { describe, expect, test } from "bun:test";
import pino from "pino";
import { createApp } from "./auth.app.ts";
import { makeAuthEndpoints } from "./auth.endpoints.ts";
import { makeAuth } from "./auth.testing.ts";

const pw = "Sufficient-pass1";

async function makeApp() {
  const ctx = await makeAuth();
  const root = await ctx.auth.bootstrapAdmin("root@example.com", pw);
  const alice = await ctx.auth.register("alice@example.com", pw);
  const app = createApp({
    endpoints: makeAuthEndpoints(ctx.auth, ctx.keys),
    logger: pino({ level: "silent" }),
    version: "9.9.9",
  });
  return { ...ctx, app, root, alice };
}

const post = (body: unknown, headers: Record<string, string> = {}) => ({
  method: "POST",
  headers: { "content-type": "application/json", ...headers },
  body: typeof body === "string" ? body : JSON.stringify(body),
});
const as = (id: string, roles: string) => ({ "x-user-id": id, "x-user-roles": roles });

async function expectProblem(res: Response, status: number, code: string) {
  expect(res.status).toBe(status);
  expect(res.headers.get("content-type")).toBe("application/problem+json");
  const body = (await res.json()) as { code: string; errors?: { path: string; message: string }[] };
  expect(body.code).toBe(code);
  return body;
}

describe("the auth HTTP routes", () => {
  test("register answers 201 with the account and no password hash", async () => {
    const { app } = await makeApp();
    const res = await app.request("/auth/register", post({ email: "Bob@Example.com", password: pw }));
    expect(res.status).toBe(201);
    const body = (await res.json()) as Record<string, unknown>;
    expect(body).toMatchObject({ email: "bob@example.com", roles: ["user"] });
    expect(Object.keys(body).sort()).toEqual(["createdAt", "email", "id", "roles"]);
  });

  test("login and refresh answer tokens that no cache may store", async () => {
    const { app } = await makeApp();
    const login = await app.request("/auth/login", post({ email: "alice@example.com", password: pw }));
    expect(login.status).toBe(200);
    expect(login.headers.get("cache-control")).toBe("no-store");
    const tokens = (await login.json()) as { refresh_token: string; token_type: string; expires_in: number };
    expect(tokens).toMatchObject({ token_type: "Bearer", expires_in: 900 });
    const refreshed = await app.request("/auth/refresh", post({ refreshToken: tokens.refresh_token }));
    expect(refreshed.status).toBe(200);
    await expectProblem(
      await app.request("/auth/refresh", post({ refreshToken: tokens.refresh_token })),
      401,
      "unauthenticated",
    );
    expect((await app.request("/auth/logout", post({ refreshToken: tokens.refresh_token }))).status).toBe(204);
  });

  test("malformed JSON, wrong types, unknown fields and missing fields answer 400 and write nothing", async () => {
    const { app, repo } = await makeApp();
    const before = repo.counts();
    for (const path of ["/auth/register", "/auth/login"]) {
      for (const body of [
        "{oops",
        { email: 42, password: pw },
        { email: "x@example.com", password: ["a"] },
        { email: "x@example.com" },
        { email: "not-an-email", password: pw },
        { email: "x@example.com", password: pw, roles: ["admin"] },
      ]) {
        await expectProblem(await app.request(path, post(body)), 400, "invalid_argument");
      }
    }
    await expectProblem(await app.request("/auth/refresh", post({ refreshToken: 7 })), 400, "invalid_argument");
    await expectProblem(await app.request("/auth/logout", post("{")), 400, "invalid_argument");
    expect(repo.counts()).toEqual(before);
  });

  test("a weak password answers 400 naming the field and writes nothing", async () => {
    const { app, repo } = await makeApp();
    const before = repo.counts();
    const body = await expectProblem(
      await app.request("/auth/register", post({ email: "bob@example.com", password: "onlylowercase" })),
      400,
      "invalid_argument",
    );
    expect(body.errors?.[0]?.path).toBe("/body/password");
    expect(repo.counts()).toEqual(before);
  });

  test("a taken email answers 409 and writes nothing", async () => {
    const { app, repo } = await makeApp();
    const before = repo.counts();
    await expectProblem(
      await app.request("/auth/register", post({ email: "ALICE@example.com", password: pw })),
      409,
      "conflict",
    );
    expect(repo.counts()).toEqual(before);
  });

  test("bad credentials answer 401 and issue no token", async () => {
    const { app, repo } = await makeApp();
    const before = repo.counts().tokens;
    await expectProblem(
      await app.request("/auth/login", post({ email: "alice@example.com", password: "Wrong-password1" })),
      401,
      "unauthenticated",
    );
    await expectProblem(
      await app.request("/auth/login", post({ email: "nobody@example.com", password: pw })),
      401,
      "unauthenticated",
    );
    expect(repo.counts().tokens).toBe(before);
  });

  test("repeated failures from one address answer 429 with Retry-After, also for the right password", async () => {
    const { app, repo } = await makeApp();
    const attacker = { "x-forwarded-for": "203.0.113.7" };
    const wrong = post({ email: "alice@example.com", password: "Wrong-password1" }, attacker);
    for (let i = 0; i < 5; i++) expect((await app.request("/auth/login", wrong)).status).toBe(401);
    const throttled = await app.request("/auth/login", wrong);
    await expectProblem(throttled, 429, "too_many_requests");
    expect(Number(throttled.headers.get("retry-after"))).toBe(30);
    const right = await app.request("/auth/login", post({ email: "alice@example.com", password: pw }, attacker));
    await expectProblem(right, 429, "too_many_requests");
    expect(Number(right.headers.get("retry-after"))).toBeGreaterThan(0);
    expect(repo.counts().tokens).toBe(0);
  });

  test("the owner logs in from another address at once; only the rightmost X-Forwarded-For entry counts", async () => {
    const { app, repo } = await makeApp();
    const wrong = post(
      { email: "alice@example.com", password: "Wrong-password1" },
      { "x-forwarded-for": "203.0.113.7" },
    );
    for (let i = 0; i < 6; i++) await (await app.request("/auth/login", wrong)).arrayBuffer();
    // a client's own claim left of the gateway's entry changes nothing
    const spoofed = { "x-forwarded-for": "192.0.2.10, 203.0.113.7" };
    const claim = await app.request("/auth/login", post({ email: "alice@example.com", password: pw }, spoofed));
    await expectProblem(claim, 429, "too_many_requests");
    const owner = await app.request(
      "/auth/login",
      post({ email: "alice@example.com", password: pw }, { "x-forwarded-for": "192.0.2.10" }),
    );
    expect(owner.status).toBe(200);
    expect(repo.counts().tokens).toBe(1);
  });

  test("a common password, or one containing the email's local part, answers 400 saying why", async () => {
    const { app, repo } = await makeApp();
    const before = repo.counts();
    const common = await expectProblem(
      await app.request("/auth/register", post({ email: "bob@example.com", password: "password123" })),
      400,
      "invalid_argument",
    );
    expect(common.errors).toEqual([{ path: "/body/password", message: "is one of the most common passwords" }]);
    const local = await expectProblem(
      await app.request("/auth/register", post({ email: "bobby@example.com", password: "I-am-Bobby-2026" })),
      400,
      "invalid_argument",
    );
    expect(local.errors).toEqual([
      { path: "/body/password", message: "must not contain the part of the email before the @" },
    ]);
    expect(repo.counts()).toEqual(before);
  });

  test("granting roles needs identity and the admin role; nothing changes otherwise", async () => {
    const { app, alice, root, repo } = await makeApp();
    const grant = { grant: ["admin"] };
    await expectProblem(await app.request(`/auth/users/${alice.id}/roles`, post(grant)), 401, "unauthenticated");
    await expectProblem(
      await app.request(`/auth/users/${alice.id}/roles`, post(grant, as(alice.id, "user"))),
      403,
      "permission_denied",
    );
    expect((await repo.accountById(alice.id))?.roles).toEqual(["user"]);
    const ok = await app.request(`/auth/users/${alice.id}/roles`, post(grant, as(root.id, "user,admin")));
    expect(ok.status).toBe(200);
    expect(await ok.json()).toMatchObject({ id: alice.id, roles: ["user", "admin"] });
  });

  test("role changes with an unknown id, a bad id, or an unknown role answer 4xx", async () => {
    const { app, root, alice } = await makeApp();
    const admin = as(root.id, "user,admin");
    await expectProblem(
      await app.request("/auth/users/0190d9a4-6b1e-7c3a-9f51-00000000ffff/roles", post({ grant: ["admin"] }, admin)),
      404,
      "not_found",
    );
    await expectProblem(
      await app.request("/auth/users/42/roles", post({ grant: ["admin"] }, admin)),
      400,
      "invalid_argument",
    );
    await expectProblem(
      await app.request(`/auth/users/${alice.id}/roles`, post({ grant: ["superuser"] }, admin)),
      400,
      "invalid_argument",
    );
  });

  test("the JWKS lists public keys only, and an admin rotation adds a kid", async () => {
    const { app, root, alice } = await makeApp();
    const jwks = async () =>
      (await (await app.request("/.well-known/jwks.json")).json()) as { keys: Record<string, unknown>[] };
    const before = await jwks();
    expect(before.keys).toHaveLength(1);
    expect(before.keys[0]).toMatchObject({ kty: "OKP", crv: "Ed25519", alg: "EdDSA", use: "sig" });
    expect(before.keys[0]).not.toHaveProperty("d");
    await expectProblem(
      await app.request("/auth/keys/rotate", { method: "POST", headers: as(alice.id, "user") }),
      403,
      "permission_denied",
    );
    const rotated = await app.request("/auth/keys/rotate", { method: "POST", headers: as(root.id, "user,admin") });
    expect(rotated.status).toBe(200);
    const after = await jwks();
    expect(after.keys.map((k) => k.kid)).toEqual([
      ((await rotated.json()) as { kid: string }).kid,
      before.keys[0]!.kid,
    ]);
  });

  test("the OpenAPI document is 3.1, carries the version and lists every route", async () => {
    const { app } = await makeApp();
    const doc = (await (await app.request("/openapi.json")).json()) as {
      openapi: string;
      info: { version: string };
      paths: Record<string, unknown>;
    };
    expect(doc.openapi).toBe("3.1.0");
    expect(doc.info.version).toBe("9.9.9");
    expect(Object.keys(doc.paths).sort()).toEqual([
      "/.well-known/jwks.json",
      "/auth/keys/rotate",
      "/auth/login",
      "/auth/logout",
      "/auth/refresh",
      "/auth/register",
      "/auth/users/{id}/roles",
    ]);
  });
});
