import { describe, expect, test } from "bun:test";
import pino from "pino";
import { createApp } from "./users.app.ts";
import { makeUsersEndpoints } from "./users.endpoints.ts";
import { MemoryUsersRepo } from "./users.repo.memory.ts";
import { UsersService } from "./users.service.ts";

const alice = "0190d9a4-6b1e-7c3a-9f51-2b9d3c4e5fa1";
const bob = "0190d9a4-6b1e-7c3a-9f51-2b9d3c4e5fb0";
const adminId = "0190d9a4-6b1e-7c3a-9f51-2b9d3c4e5f01";

async function makeApp() {
  const repo = new MemoryUsersRepo();
  const users = new UsersService(repo);
  await users.createForSystem({ id: alice, email: "alice@example.com", displayName: "Alice" });
  await users.createForSystem({ id: bob, email: "bob@example.com", displayName: "Bob" });
  const app = createApp({ endpoints: makeUsersEndpoints(users), logger: pino({ level: "silent" }), version: "9.9.9" });
  return { app, repo };
}

const as = (id: string, roles = "user") => ({ "x-user-id": id, "x-user-roles": roles });
const asJson = (id: string, roles = "user") => ({ ...as(id, roles), "content-type": "application/json" });

async function expectProblem(res: Response, status: number, code: string) {
  expect(res.status).toBe(status);
  expect(res.headers.get("content-type")).toBe("application/problem+json");
  const body = (await res.json()) as { code: string };
  expect(body.code).toBe(code);
  return body;
}

describe("the users HTTP routes", () => {
  test("a user reads their own profile", async () => {
    const { app } = await makeApp();
    const res = await app.request(`/users/${alice}`, { headers: as(alice) });
    expect(res.status).toBe(200);
    expect(await res.json()).toMatchObject({ id: alice, email: "alice@example.com", displayName: "Alice" });
  });

  test("a user updates their own display name", async () => {
    const { app, repo } = await makeApp();
    const res = await app.request(`/users/${alice}`, {
      method: "PATCH",
      headers: asJson(alice),
      body: JSON.stringify({ displayName: "Alice Liddell" }),
    });
    expect(res.status).toBe(200);
    expect((await repo.get(alice))?.displayName).toBe("Alice Liddell");
  });

  test("a request without identity answers 401", async () => {
    const { app } = await makeApp();
    await expectProblem(await app.request(`/users/${alice}`), 401, "unauthenticated");
  });

  test("another user's profile answers 403 and is not changed", async () => {
    const { app, repo } = await makeApp();
    await expectProblem(await app.request(`/users/${bob}`, { headers: as(alice) }), 403, "permission_denied");
    const res = await app.request(`/users/${bob}`, {
      method: "PATCH",
      headers: asJson(alice),
      body: JSON.stringify({ displayName: "hacked" }),
    });
    await expectProblem(res, 403, "permission_denied");
    expect((await repo.get(bob))?.displayName).toBe("Bob");
  });

  test("a non-uuid id answers 400 naming the parameter", async () => {
    const { app } = await makeApp();
    const body = await expectProblem(
      await app.request("/users/42", { headers: as(adminId, "admin") }),
      400,
      "invalid_argument",
    );
    expect(JSON.stringify(body)).toContain("/params/id");
  });

  test("an unknown id answers 404 for an admin", async () => {
    const { app } = await makeApp();
    const res = await app.request("/users/0190d9a4-6b1e-7c3a-9f51-2b9d3c4e5fff", { headers: as(adminId, "admin") });
    await expectProblem(res, 404, "not_found");
  });

  test("a profile's email cannot be changed here: it is the account's, and answers 400 unchanged", async () => {
    const { app, repo } = await makeApp();
    const res = await app.request(`/users/${alice}`, {
      method: "PATCH",
      headers: asJson(alice),
      body: JSON.stringify({ email: "free@example.com" }),
    });
    await expectProblem(res, 400, "invalid_argument");
    expect((await repo.get(alice))?.email).toBe("alice@example.com");
  });

  test("malformed JSON, wrong types and unknown fields answer 400 and change nothing", async () => {
    const { app, repo } = await makeApp();
    for (const body of ["{oops", JSON.stringify({ displayName: 7 }), JSON.stringify({ role: "admin" })]) {
      const res = await app.request(`/users/${alice}`, { method: "PATCH", headers: asJson(alice), body });
      await expectProblem(res, 400, "invalid_argument");
    }
    expect((await repo.get(alice))?.displayName).toBe("Alice");
  });

  test("a wrong content type answers 415", async () => {
    const { app } = await makeApp();
    const res = await app.request(`/users/${alice}`, {
      method: "PATCH",
      headers: { ...as(alice), "content-type": "text/plain" },
      body: "displayName=x",
    });
    await expectProblem(res, 415, "unsupported_media_type");
  });

  test("a 2 MiB body answers 413", async () => {
    const { app } = await makeApp();
    const res = await app.request(`/users/${alice}`, {
      method: "PATCH",
      headers: asJson(alice),
      body: JSON.stringify({ displayName: "x".repeat(2 * 1024 * 1024) }),
    });
    await expectProblem(res, 413, "payload_too_large");
  });

  test("creating needs admin, and a taken email answers 409", async () => {
    const { app } = await makeApp();
    const body = JSON.stringify({ email: "carol@example.com", displayName: "Carol" });
    await expectProblem(
      await app.request("/users", { method: "POST", headers: asJson(alice), body }),
      403,
      "permission_denied",
    );
    const created = await app.request("/users", { method: "POST", headers: asJson(adminId, "admin"), body });
    expect(created.status).toBe(201);
    expect(created.headers.get("location")).toMatch(/^\/users\/[0-9a-f-]{36}$/);
    const again = await app.request("/users", { method: "POST", headers: asJson(adminId, "admin"), body });
    await expectProblem(again, 409, "conflict");
  });

  test("an admin pages through every profile exactly once", async () => {
    const { app } = await makeApp();
    const seen: string[] = [];
    let cursor: string | null = null;
    do {
      const q: string = cursor ? `?limit=1&cursor=${cursor}` : "?limit=1";
      const res = await app.request(`/users${q}`, { headers: as(adminId, "admin") });
      expect(res.status).toBe(200);
      const page = (await res.json()) as { items: { id: string }[]; nextCursor: string | null };
      seen.push(...page.items.map((p) => p.id));
      cursor = page.nextCursor;
    } while (cursor);
    expect(seen.sort()).toEqual([alice, bob].sort());
  });

  test("a limit out of range answers 400", async () => {
    const { app } = await makeApp();
    await expectProblem(
      await app.request("/users?limit=1000", { headers: as(adminId, "admin") }),
      400,
      "invalid_argument",
    );
  });

  test("the OpenAPI document is 3.1 and carries the build version", async () => {
    const { app } = await makeApp();
    const doc = (await (await app.request("/openapi.json")).json()) as { openapi: string; info: { version: string } };
    expect(doc.openapi).toBe("3.1.0");
    expect(doc.info.version).toBe("9.9.9");
  });
});
