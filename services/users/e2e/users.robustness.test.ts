// End-to-end: bad input, concurrent start-up and graceful shutdown of the compiled users binary.
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { createTestDatabase, type TestDatabase } from "@shared/testing";
import { buildService, copyAlone, type RunningBinary, startBinary } from "@shared/testing/binary.ts";
import postgres from "postgres";

let binary: string;
beforeAll(async () => {
  binary = copyAlone(await buildService("users"));
}, 120_000);

const admin = { "x-user-id": "0190d9a4-6b1e-7c3a-9f51-000000000001", "x-user-roles": "admin" };
const alice = "0190d9a4-6b1e-7c3a-9f51-0000000000a1";
const bob = "0190d9a4-6b1e-7c3a-9f51-0000000000b0";
const asAlice = { "x-user-id": alice, "x-user-roles": "user" };
const json = { "content-type": "application/json" };

function serverErrorsIn(app: RunningBinary): string[] {
  return app.stdout.filter((l) => /"status":5\d\d/.test(l) || /"level":"(error|fatal)"/.test(l));
}

describe("bad input against the users binary", () => {
  let tdb: TestDatabase;
  let app: RunningBinary;
  let sql: postgres.Sql;
  const snapshot = async () => sql`select * from users.profiles order by id`;

  beforeAll(async () => {
    tdb = await createTestDatabase({ prefix: "users_bad" });
    sql = postgres(tdb.url, { max: 2, onnotice: () => {} });
    app = await startBinary({ path: binary, args: ["serve"], env: { DATABASE_URL: tdb.url } });
    for (const [id, email] of [
      [alice, "alice@example.com"],
      [bob, "bob@example.com"],
    ]) {
      const res = await fetch(`${app.url}/users`, {
        method: "POST",
        headers: { ...admin, ...json },
        body: JSON.stringify({ id, email, displayName: email }),
      });
      expect(res.status).toBe(201);
    }
  });
  afterAll(async () => {
    await app.stop();
    await sql.end();
    await tdb.drop();
  });

  const cases: [string, string, RequestInit, number, string][] = [
    [
      "malformed JSON",
      `/users/${alice}`,
      { method: "PATCH", headers: { ...asAlice, ...json }, body: "{nope" },
      400,
      "invalid_argument",
    ],
    [
      "a wrong content type",
      `/users/${alice}`,
      { method: "PATCH", headers: { ...asAlice, "content-type": "text/plain" }, body: "displayName=x" },
      415,
      "unsupported_media_type",
    ],
    [
      "wrong types",
      `/users/${alice}`,
      { method: "PATCH", headers: { ...asAlice, ...json }, body: '{"displayName":42}' },
      400,
      "invalid_argument",
    ],
    [
      "missing fields",
      "/users",
      { method: "POST", headers: { ...admin, ...json }, body: '{"displayName":"x"}' },
      400,
      "invalid_argument",
    ],
    [
      "a 2 MiB body",
      `/users/${alice}`,
      {
        method: "PATCH",
        headers: { ...asAlice, ...json },
        body: JSON.stringify({ displayName: "x".repeat(2 * 1024 * 1024) }),
      },
      413,
      "payload_too_large",
    ],
    ["a non-uuid id", "/users/12345", { headers: admin }, 400, "invalid_argument"],
    ["an unknown id", "/users/0190d9a4-6b1e-7c3a-9f51-00000000ffff", { headers: admin }, 404, "not_found"],
    [
      "another user's profile",
      `/users/${bob}`,
      { method: "PATCH", headers: { ...asAlice, ...json }, body: '{"displayName":"pwned"}' },
      403,
      "permission_denied",
    ],
    [
      "no identity",
      `/users/${alice}`,
      { method: "PATCH", headers: json, body: '{"displayName":"anon"}' },
      401,
      "unauthenticated",
    ],
    [
      "a forged malformed identity",
      `/users/${alice}`,
      { headers: { "x-user-id": "' or 1=1 --" } },
      401,
      "unauthenticated",
    ],
    [
      "a duplicate email",
      "/users",
      { method: "POST", headers: { ...admin, ...json }, body: '{"email":"BOB@example.com","displayName":"Not Bob"}' },
      409,
      "conflict",
    ],
    [
      "an email change (the email is the account's)",
      `/users/${alice}`,
      { method: "PATCH", headers: { ...asAlice, ...json }, body: '{"email":"free@example.com"}' },
      400,
      "invalid_argument",
    ],
    ["a bad cursor", "/users?cursor=!!!", { headers: admin }, 400, "invalid_argument"],
  ];

  for (const [name, path, init, status, code] of cases) {
    test(`${name} answers ${status} problem+json and changes nothing`, async () => {
      const before = await snapshot();
      const res = await fetch(`${app.url}${path}`, init);
      expect(res.status).toBe(status);
      expect(res.headers.get("content-type")).toBe("application/problem+json");
      const body = (await res.json()) as { code: string; status: number; requestId: string };
      expect(body.code).toBe(code);
      expect(body.status).toBe(status);
      expect(body.requestId).toBe(res.headers.get("x-request-id")!);
      expect(await snapshot()).toEqual(before);
    });
  }

  test("no request of the suite was answered with a 5xx or logged as an error", () => {
    expect(serverErrorsIn(app)).toEqual([]);
  });
});

describe("start-up and shutdown", () => {
  let tdb: TestDatabase;
  beforeAll(async () => {
    tdb = await createTestDatabase({ prefix: "users_life" });
  });
  afterAll(() => tdb.drop());

  test("two instances migrating one fresh database at once both start", async () => {
    const [a, b] = await Promise.all([
      startBinary({ path: binary, args: ["serve"], env: { DATABASE_URL: tdb.url } }),
      startBinary({ path: binary, args: ["serve"], env: { DATABASE_URL: tdb.url } }),
    ]);
    try {
      expect((await fetch(`${a.url}/readyz`)).status).toBe(200);
      expect((await fetch(`${b.url}/readyz`)).status).toBe(200);
      const sql = postgres(tdb.url, { max: 1, onnotice: () => {} });
      const rows = await sql`select count(*)::int as n from users.__drizzle_migrations`;
      await sql.end();
      // Each migration recorded once, though two instances raced to apply them.
      const journal = (await Bun.file(`${import.meta.dir}/../../../drizzle/users/meta/_journal.json`).json()) as {
        entries: unknown[];
      };
      expect(rows[0]!.n).toBe(journal.entries.length);
    } finally {
      expect(await a.stop()).toBe(0);
      expect(await b.stop()).toBe(0);
    }
  }, 60_000);

  test("SIGTERM under load: every request sent is answered 200 and the exit code is 0", async () => {
    const app = await startBinary({ path: binary, args: ["serve"], env: { DATABASE_URL: tdb.url } });
    const created = await fetch(`${app.url}/users`, {
      method: "POST",
      headers: { ...admin, ...json },
      body: JSON.stringify({ email: "load@example.com", displayName: "Load" }),
    });
    const { id } = (await created.json()) as { id: string };
    let stopping = false;
    const statuses: number[] = [];
    const failures: string[] = [];
    let refusedAfterStop = 0;
    const worker = async () => {
      // Each worker keeps one keep-alive connection busy until the listener is gone.
      for (let i = 0; i < 5000; i++) {
        try {
          const res = await fetch(`${app.url}/users/${id}`, { headers: admin });
          statuses.push(res.status);
          await res.arrayBuffer();
        } catch (err) {
          const refused = /ConnectionRefused|ECONNREFUSED/.test(`${(err as { code?: string }).code} ${err}`);
          if (stopping && refused) {
            refusedAfterStop++;
            return;
          }
          failures.push(String(err));
          return;
        }
      }
    };
    const workers = Array.from({ length: 8 }, worker);
    await Bun.sleep(400);
    const answeredBeforeStop = statuses.length;
    stopping = true;
    const exit = app.stop("SIGTERM");
    await Promise.all(workers);
    expect(await exit).toBe(0);
    expect(failures).toEqual([]);
    expect(answeredBeforeStop).toBeGreaterThan(50);
    expect(statuses.every((s) => s === 200)).toBe(true);
    expect(refusedAfterStop).toBeGreaterThan(0);
    expect(app.stdout.some((l) => l.includes('"msg":"stopped"'))).toBe(true);
  }, 60_000);
});
