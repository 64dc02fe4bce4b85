import { describe, expect, test } from "bun:test";
import { AppError } from "@shared/errors";
import { errorCodeOf } from "@shared/testing/errors.ts";
import type { AuthRepo } from "./auth.service.ts";

const id = (n: number) => `0190d9a4-6b1e-7c3a-9f51-${n.toString(16).padStart(12, "0")}`;
const account = (n: number, email = `${n}@example.com`) => ({
  id: id(n),
  email,
  passwordHash: `hash-${n}`,
  roles: ["user" as const],
});
const token = (n: number, family: number, accountN = 1) => ({
  id: id(1000 + n),
  familyId: id(2000 + family),
  accountId: id(accountN),
  tokenHash: `h${n}`,
  expiresAt: new Date(Date.now() + 60_000),
});

/**
 * Registers the behaviour every AuthRepo must have; run against the in-memory fake and against
 * PostgreSQL so the fake used by service tests cannot drift from the real thing.
 */
export function authRepoContract(name: string, makeRepo: () => Promise<AuthRepo>): void {
  describe(`${name} (AuthRepo contract)`, () => {
    test("a created account reads back by id and by email in any case", async () => {
      const repo = await makeRepo();
      const created = await repo.createAccount(account(1, "a@example.com"));
      expect(created).toMatchObject({ id: id(1), email: "a@example.com", roles: ["user"] });
      expect(await repo.accountById(id(1))).toEqual(created);
      expect(await repo.accountByEmail("A@Example.com")).toEqual(created);
      expect(await repo.accountByEmail("b@example.com")).toBeNull();
    });

    test("an email taken in any case is a conflict", async () => {
      const repo = await makeRepo();
      await repo.createAccount(account(1, "a@example.com"));
      expect(await errorCodeOf(repo.createAccount(account(2, "A@EXAMPLE.com")))).toBe("conflict");
    });

    test("roles are replaced, and an unknown id gives null", async () => {
      const repo = await makeRepo();
      await repo.createAccount(account(1));
      expect((await repo.setRoles(id(1), ["user", "admin"]))?.roles).toEqual(["user", "admin"]);
      expect((await repo.accountById(id(1)))?.roles).toEqual(["user", "admin"]);
      expect(await repo.setRoles(id(9), ["admin"])).toBeNull();
    });

    test("a refresh token is found by its hash, marked used, and its family revoked once", async () => {
      const repo = await makeRepo();
      await repo.createAccount(account(1));
      await repo.insertRefreshToken(token(1, 1));
      await repo.insertRefreshToken(token(2, 1));
      await repo.insertRefreshToken(token(3, 2));
      const found = await repo.refreshTokenByHash("h1", { forUpdate: true });
      expect(found).toMatchObject({ id: id(1001), familyId: id(2001), usedAt: null, revokedAt: null });
      const at = new Date();
      await repo.markRefreshTokenUsed(id(1001), at);
      expect((await repo.refreshTokenByHash("h1"))?.usedAt?.getTime()).toBe(at.getTime());
      expect(await repo.revokeFamily(id(2001), at)).toBe(2);
      expect(await repo.revokeFamily(id(2001), at)).toBe(0);
      expect((await repo.refreshTokenByHash("h2"))?.revokedAt).not.toBeNull();
      expect((await repo.refreshTokenByHash("h3"))?.revokedAt).toBeNull();
      expect(await repo.refreshTokenByHash("nope")).toBeNull();
    });

    test("a transaction that throws leaves nothing behind", async () => {
      const repo = await makeRepo();
      const failed = repo.inTransaction(async () => {
        await repo.createAccount(account(1));
        await repo.insertRefreshToken(token(1, 1));
        throw new AppError("conflict", "boom");
      });
      expect(await errorCodeOf(failed)).toBe("conflict");
      expect(await repo.accountById(id(1))).toBeNull();
      expect(await repo.refreshTokenByHash("h1")).toBeNull();
    });

    test("login attempts are created, changed from their current value and deleted", async () => {
      const repo = await makeRepo();
      expect(await repo.loginAttempts("a@example.com")).toBeNull();
      const start = new Date(Date.now() - 1000);
      const bump = (c: { failures: number } | null) => ({
        failures: (c?.failures ?? 0) + 1,
        windowStartedAt: start,
        lockedUntil: null,
      });
      await repo.updateLoginAttempts("a@example.com", bump);
      await Promise.all([
        repo.updateLoginAttempts("a@example.com", bump),
        repo.updateLoginAttempts("a@example.com", bump),
      ]);
      expect(await repo.loginAttempts("a@example.com")).toEqual({
        failures: 3,
        windowStartedAt: start,
        lockedUntil: null,
      });
      expect(await repo.updateLoginAttempts("a@example.com", () => null)).toBeNull();
      expect(await repo.loginAttempts("a@example.com")).toBeNull();
    });

    test("pruning deletes the login attempts past their lock or window and keeps those that still count", async () => {
      const repo = await makeRepo();
      const now = new Date();
      const ago = (sec: number) => new Date(now.getTime() - sec * 1000);
      const set = (email: string, windowStartedAt: Date, lockedUntil: Date | null) =>
        repo.updateLoginAttempts(email, () => ({ failures: 2, windowStartedAt, lockedUntil }));
      await set("window-over@example.com", ago(1000), null);
      await set("window-open@example.com", ago(10), null);
      await set("lock-over@example.com", ago(2000), ago(1));
      await set("lock-on@example.com", ago(2000), new Date(now.getTime() + 60_000));
      expect(await repo.pruneLoginAttempts(now, ago(900))).toBe(2);
      expect(await repo.loginAttempts("window-over@example.com")).toBeNull();
      expect(await repo.loginAttempts("lock-over@example.com")).toBeNull();
      expect((await repo.loginAttempts("window-open@example.com"))?.failures).toBe(2);
      expect((await repo.loginAttempts("lock-on@example.com"))?.failures).toBe(2);
      expect(await repo.pruneLoginAttempts(now, ago(900))).toBe(0);
    });

    test("pruning deletes a family's refresh tokens only once every one of them has expired", async () => {
      const repo = await makeRepo();
      await repo.createAccount(account(1));
      const now = new Date();
      const expired = (n: number, family: number) => ({
        ...token(n, family),
        expiresAt: new Date(now.getTime() - 1000),
      });
      // family 1: all expired; family 2: one used token expired, its successor still live
      await repo.insertRefreshToken(expired(1, 1));
      await repo.insertRefreshToken(expired(2, 1));
      await repo.insertRefreshToken(expired(3, 2));
      await repo.insertRefreshToken(token(4, 2));
      await repo.markRefreshTokenUsed(id(1003), now);
      expect(await repo.pruneRefreshTokens(now)).toBe(2);
      expect(await repo.refreshTokenByHash("h1")).toBeNull();
      expect(await repo.refreshTokenByHash("h2")).toBeNull();
      expect((await repo.refreshTokenByHash("h3"))?.usedAt).not.toBeNull();
      expect(await repo.refreshTokenByHash("h4")).not.toBeNull();
      expect(await repo.pruneRefreshTokens(now)).toBe(0);
    });
  });
}
