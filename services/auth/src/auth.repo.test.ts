import { describe, expect, test } from "bun:test";
import { embedMigrations } from "@shared/db/migrations.macro.ts" with { type: "macro" };
import { errorCodeOf, useMigratedDatabase } from "@shared/testing";
import { PgKeyStore } from "./auth.keys.repo.ts";
import { generateStoredKey } from "./auth.keys.ts";
import { authRepoContract } from "./auth.repo.contract.ts";
import { PgAuthRepo } from "./auth.repo.ts";
import { countingHasher, makeAuth } from "./auth.testing.ts";

const db = useMigratedDatabase({
  schema: "auth",
  migrations: embedMigrations("drizzle/auth"),
  prefix: "auth_repo",
  truncate: ["auth.accounts", "auth.refresh_tokens", "auth.login_failures", "auth.signing_keys"],
});

authRepoContract("the PostgreSQL auth repository", async () => new PgAuthRepo(db.database));

describe("the PostgreSQL key store", () => {
  test("several instances starting at once create exactly one first key", async () => {
    const store = new PgKeyStore(db.database);
    const results = await Promise.all(
      [1, 2, 3].map(async () => store.add(await generateStoredKey(undefined), { onlyIfEmpty: true })),
    );
    expect(results.filter((r) => r.added)).toHaveLength(1);
    expect(await store.recent(5)).toHaveLength(1);
  });

  test("adding a key retires the active one; recent lists the active key first, then the newest retired", async () => {
    const store = new PgKeyStore(db.database);
    const a = await generateStoredKey(undefined);
    const b = await generateStoredKey(undefined, new Date(Date.now() + 1000));
    const c = await generateStoredKey(undefined, new Date(Date.now() + 2000));
    await store.add(a);
    expect((await store.add(b)).retiredKid).toBe(a.kid);
    expect((await store.add(c)).retiredKid).toBe(b.kid);
    const recent = await store.recent(2);
    expect(recent.map((k) => k.kid)).toEqual([c.kid, b.kid]);
    expect(recent[0]!.retiredAt).toBeNull();
    expect(recent[0]!.publicJwk).toEqual(c.publicJwk);
  });
});

describe("registering on PostgreSQL", () => {
  const newAccount = (n: number) => ({
    id: `0190d9a4-6b1e-7c3a-9f51-${n.toString(16).padStart(12, "0")}`,
    email: `outbox-${n}@example.com`,
    passwordHash: "hash",
    roles: ["user" as const],
  });
  const eventsFor = (userId: string) =>
    db.database.sql`select subject, payload from auth.outbox where payload->>'userId' = ${userId}`;

  test("writes one auth.user.registered outbox row with the account, and none for a refused one", async () => {
    const repo = new PgAuthRepo(db.database);
    const account = await repo.registerAccount(newAccount(501));
    expect([...(await eventsFor(account.id))]).toEqual([
      { subject: "auth.user.registered", payload: { userId: account.id, email: "outbox-501@example.com" } },
    ]);
    const taken = { ...newAccount(502), email: "OUTBOX-501@example.com" };
    expect(await repo.registerAccount(taken).catch((e: { code?: string }) => e.code)).toBe("conflict");
    expect([...(await eventsFor(taken.id))]).toEqual([]);
  });

  test("an outbox row that cannot be written takes the account with it", async () => {
    const repo = new PgAuthRepo(db.database);
    await db.database.sql`alter table auth.outbox rename to outbox_away`;
    try {
      expect(
        await repo.registerAccount(newAccount(503)).then(
          () => "registered",
          () => "failed",
        ),
      ).toBe("failed");
    } finally {
      await db.database.sql`alter table auth.outbox_away rename to outbox`;
    }
    expect(await repo.accountById(newAccount(503).id)).toBeNull();
  });
});

describe("logging in on PostgreSQL", () => {
  test("fourteen concurrent wrong passwords for one account check at most five, and the owner elsewhere logs in", async () => {
    const passwords = countingHasher();
    const { auth } = await makeAuth({ repo: new PgAuthRepo(db.database), passwords });
    await auth.register("concurrent@example.com", "Sufficient-pass1");
    const codes = await Promise.all(
      Array.from({ length: 14 }, () =>
        errorCodeOf(auth.login("concurrent@example.com", "Wrong-password1", "203.0.113.7")),
      ),
    );
    expect(passwords.verified).toBe(5);
    expect(codes.filter((c) => c === "unauthenticated")).toHaveLength(5);
    expect(codes.filter((c) => c === "too_many_requests")).toHaveLength(9);
    expect((await auth.login("concurrent@example.com", "Sufficient-pass1", "192.0.2.10")).accessToken).toBeString();
    expect(passwords.verified).toBe(6);
  });
});
