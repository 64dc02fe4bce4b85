import { describe, expect, test } from "bun:test";
import { AppError } from "@shared/errors";
import { errorCodeOf } from "@shared/testing/errors.ts";
import type { AttemptRule } from "./auth.model.ts";
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

/** A rule at `now` with these delays, forgetting after `forgetSec`, and an account ceiling (none by default). */
function attemptRule(
  now: Date,
  delaysSec: number[],
  forgetSec = 3600,
  ceiling = { failures: 1_000_000, extra: 0 },
): AttemptRule {
  const before = (sec: number) => new Date(now.getTime() - sec * 1000);
  return { now, delaysSec, forgetBefore: before(forgetSec), ceiling: { ...ceiling, since: before(3600) } };
}

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

    test("login attempts are counted before any check, per email and address, until the pair must wait", async () => {
      const repo = await makeRepo();
      const now = new Date(Math.floor(Date.now() / 1000) * 1000);
      const rule = attemptRule(now, [0, 0, 60]);
      const results = [];
      for (let i = 0; i < 4; i++) results.push(await repo.reserveLoginAttempt("a@example.com", "10.0.0.1", rule));
      expect(results).toEqual([
        { granted: true, failures: 1 },
        { granted: true, failures: 2 },
        { granted: true, failures: 3 },
        { granted: false, retryAt: new Date(now.getTime() + 60_000) },
      ]);
      expect(await repo.loginFailures("a@example.com", "10.0.0.1")).toEqual({
        failures: 3,
        lastFailureAt: now,
        blockedUntil: new Date(now.getTime() + 60_000),
      });
      expect(await repo.reserveLoginAttempt("a@example.com", "10.0.0.2", rule)).toEqual({ granted: true, failures: 1 });
      expect(await repo.reserveLoginAttempt("b@example.com", "10.0.0.1", rule)).toEqual({ granted: true, failures: 1 });
      await repo.clearLoginFailures("a@example.com", "10.0.0.1");
      expect(await repo.loginFailures("a@example.com", "10.0.0.1")).toBeNull();
      expect((await repo.loginFailures("a@example.com", "10.0.0.2"))?.failures).toBe(1);
      expect(await repo.reserveLoginAttempt("a@example.com", "10.0.0.1", rule)).toEqual({ granted: true, failures: 1 });
    });

    test("fourteen concurrent attempts of one pair are granted exactly as many times as the rule allows", async () => {
      const repo = await makeRepo();
      const rule = attemptRule(new Date(), [0, 0, 0, 0, 60]);
      const slots = await Promise.all(
        Array.from({ length: 14 }, () => repo.reserveLoginAttempt("a@example.com", "10.0.0.1", rule)),
      );
      expect(slots.filter((s) => s.granted)).toHaveLength(5);
      expect((await repo.loginFailures("a@example.com", "10.0.0.1"))?.failures).toBe(5);
    });

    test("a waiting pair counts on after its delay, and starts again once its failures are forgotten", async () => {
      const repo = await makeRepo();
      const t0 = new Date(Math.floor(Date.now() / 1000) * 1000);
      const later = (sec: number, forgetSec = 3600) =>
        attemptRule(new Date(t0.getTime() + sec * 1000), [0, 30, 60], forgetSec);
      const reserve = (sec: number, forgetSec?: number) =>
        repo.reserveLoginAttempt("a@example.com", "10.0.0.1", later(sec, forgetSec));
      expect(await reserve(0)).toEqual({ granted: true, failures: 1 });
      expect(await reserve(0)).toEqual({ granted: true, failures: 2 });
      expect((await reserve(29)).granted).toBe(false);
      expect(await reserve(30)).toEqual({ granted: true, failures: 3 });
      expect(await reserve(60)).toEqual({ granted: false, retryAt: new Date(t0.getTime() + 90_000) });
      expect(await reserve(90)).toEqual({ granted: true, failures: 4 });
      expect((await repo.loginFailures("a@example.com", "10.0.0.1"))?.blockedUntil).toEqual(
        new Date(t0.getTime() + 150_000),
      );
      expect(await reserve(200, 100)).toEqual({ granted: true, failures: 1 });
    });

    test("over its account's ceiling a pair counts extra, yet an address that never failed is granted", async () => {
      const repo = await makeRepo();
      const rule = attemptRule(new Date(), [0, 0, 100], 3600, { failures: 3, extra: 2 });
      for (let i = 0; i < 3; i++)
        expect((await repo.reserveLoginAttempt("a@example.com", "10.0.0.1", rule)).granted).toBe(true);
      expect((await repo.reserveLoginAttempt("a@example.com", "10.0.0.1", rule)).granted).toBe(false);
      for (const fresh of ["10.0.0.2", "10.0.0.3"]) {
        expect(await repo.reserveLoginAttempt("a@example.com", fresh, rule)).toEqual({ granted: true, failures: 1 });
        expect((await repo.reserveLoginAttempt("a@example.com", fresh, rule)).granted).toBe(false);
      }
      // another account's ceiling is its own
      expect((await repo.reserveLoginAttempt("b@example.com", "10.0.0.2", rule)).granted).toBe(true);
      expect((await repo.reserveLoginAttempt("b@example.com", "10.0.0.2", rule)).granted).toBe(true);
    });

    test("pruning deletes the failures that neither delay a pair nor still count", async () => {
      const repo = await makeRepo();
      const now = new Date(Math.floor(Date.now() / 1000) * 1000);
      const ago = (sec: number) => new Date(now.getTime() - sec * 1000);
      const fail = (address: string, when: Date, delays: number[]) =>
        repo.reserveLoginAttempt("a@example.com", address, attemptRule(when, delays));
      await fail("old", ago(1000), [0]);
      await fail("recent", ago(10), [0]);
      await fail("old-waiting", ago(1000), [5000]);
      expect(await repo.pruneLoginFailures(now, ago(900))).toBe(1);
      expect(await repo.loginFailures("a@example.com", "old")).toBeNull();
      expect((await repo.loginFailures("a@example.com", "recent"))?.failures).toBe(1);
      expect((await repo.loginFailures("a@example.com", "old-waiting"))?.failures).toBe(1);
      expect(await repo.pruneLoginFailures(now, ago(900))).toBe(0);
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
