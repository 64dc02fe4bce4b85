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

    test("a registered account reads back like a created one, and its email is as unique", async () => {
      const repo = await makeRepo();
      const registered = await repo.registerAccount(account(1, "a@example.com"));
      expect(registered).toMatchObject({ id: id(1), email: "a@example.com", roles: ["user"] });
      expect(await repo.accountByEmail("A@example.com")).toEqual(registered);
      expect(await errorCodeOf(repo.registerAccount(account(2, "A@EXAMPLE.com")))).toBe("conflict");
      expect(await errorCodeOf(repo.createAccount(account(3, "a@example.COM")))).toBe("conflict");
    });

    test("roles are replaced from the current ones, and an unknown id gives null", async () => {
      const repo = await makeRepo();
      await repo.createAccount(account(1));
      const seen: string[][] = [];
      const updated = await repo.updateRoles(id(1), (current) => {
        seen.push(current.roles);
        return ["user", "admin"];
      });
      expect(seen).toEqual([["user"]]);
      expect(updated?.roles).toEqual(["user", "admin"]);
      expect((await repo.accountById(id(1)))?.roles).toEqual(["user", "admin"]);
      expect(await repo.updateRoles(id(9), () => ["admin"])).toBeNull();
    });

    test("a refresh token is found by its hash, rotated once, and its family revoked once", async () => {
      const repo = await makeRepo();
      await repo.createAccount(account(1));
      await repo.insertRefreshToken(token(1, 1));
      await repo.insertRefreshToken(token(2, 1));
      await repo.insertRefreshToken(token(3, 2));
      expect(await repo.refreshTokenByHash("h1")).toMatchObject({
        id: id(1001),
        familyId: id(2001),
        usedAt: null,
        revokedAt: null,
      });
      const at = new Date(Math.floor(Date.now() / 1000) * 1000);
      const rotated = await repo.useRefreshToken("h1", async (found, owner) => {
        expect(found).toMatchObject({ id: id(1001), usedAt: null });
        expect(owner?.id).toBe(id(1));
        return { action: "rotate", at, successor: token(4, 1), result: "rotated" };
      });
      expect(rotated).toBe("rotated");
      expect((await repo.refreshTokenByHash("h1"))?.usedAt?.getTime()).toBe(at.getTime());
      expect(await repo.refreshTokenByHash("h4")).toMatchObject({ familyId: id(2001), usedAt: null });
      const later = new Date(at.getTime() + 1000);
      for (const when of [at, later]) {
        await repo.useRefreshToken("h2", async () => ({ action: "revoke", at: when, result: null }));
      }
      for (const hash of ["h1", "h2", "h4"]) {
        expect((await repo.refreshTokenByHash(hash))?.revokedAt?.getTime()).toBe(at.getTime());
      }
      expect((await repo.refreshTokenByHash("h3"))?.revokedAt).toBeNull();
      expect(await repo.refreshTokenByHash("nope")).toBeNull();
      expect(
        await repo.useRefreshToken("nope", async (found, owner) => ({ action: "keep", result: [found, owner] })),
      ).toEqual([null, null]);
    });

    test("a use or a role change that throws leaves nothing behind", async () => {
      const repo = await makeRepo();
      await repo.createAccount(account(1));
      await repo.insertRefreshToken(token(1, 1));
      const failedUse = repo.useRefreshToken("h1", async () => {
        throw new AppError("conflict", "boom");
      });
      expect(await errorCodeOf(failedUse)).toBe("conflict");
      const clash = repo.useRefreshToken("h1", async () => ({
        action: "rotate",
        at: new Date(),
        successor: { ...token(2, 1), tokenHash: "h1" },
        result: null,
      }));
      expect(await errorCodeOf(clash)).toBe("conflict");
      expect(await repo.refreshTokenByHash("h1")).toMatchObject({ usedAt: null, revokedAt: null });
      expect(await repo.refreshTokenByHash("h2")).toBeNull();
      const failedRoles = repo.updateRoles(id(1), () => {
        throw new AppError("invalid_argument", "no");
      });
      expect(await errorCodeOf(failedRoles)).toBe("invalid_argument");
      expect((await repo.accountById(id(1)))?.roles).toEqual(["user"]);
    });

    test("uses of one refresh token are decided one after the other", async () => {
      const repo = await makeRepo();
      await repo.createAccount(account(1));
      await repo.insertRefreshToken(token(1, 1));
      const use = (n: number) =>
        repo.useRefreshToken("h1", async (found) =>
          found?.usedAt
            ? { action: "keep", result: "reused" }
            : { action: "rotate", at: new Date(), successor: token(n, 1), result: "rotated" },
        );
      expect((await Promise.all([use(2), use(3)])).sort()).toEqual(["reused", "rotated"]);
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
      await repo.useRefreshToken("h3", async () => ({
        action: "rotate",
        at: now,
        successor: token(4, 2),
        result: null,
      }));
      expect(await repo.pruneRefreshTokens(now)).toBe(2);
      expect(await repo.refreshTokenByHash("h1")).toBeNull();
      expect(await repo.refreshTokenByHash("h2")).toBeNull();
      expect((await repo.refreshTokenByHash("h3"))?.usedAt).not.toBeNull();
      expect(await repo.refreshTokenByHash("h4")).not.toBeNull();
      expect(await repo.pruneRefreshTokens(now)).toBe(0);
    });
  });
}
