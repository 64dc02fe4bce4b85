import { describe, expect, test } from "bun:test";
import { AppError } from "@shared/errors";
import { createLocalJWKSet, decodeJwt, jwtVerify } from "jose";
import type { Actor } from "./auth.model.ts";
import { hashToken, passwordProblems } from "./auth.service.ts";
import { makeAuth, manualClock } from "./auth.testing.ts";

async function errorOf(p: Promise<unknown>): Promise<AppError | string> {
  try {
    await p;
    return "no error";
  } catch (err) {
    return err instanceof AppError ? err : String(err);
  }
}
const codeOf = async (p: Promise<unknown>) => {
  const e = await errorOf(p);
  return typeof e === "string" ? e : e.code;
};

const pw = "Sufficient-pass1";

describe("password rules", () => {
  test("want 10 to 128 characters from at least two classes", () => {
    expect(passwordProblems("Short1")).toHaveLength(1);
    expect(passwordProblems("alllowercaseletters")).toHaveLength(1);
    expect(passwordProblems("12345678901234")).toHaveLength(1);
    expect(passwordProblems("x".repeat(129))).toHaveLength(2);
    expect(passwordProblems("lowercase and spaces")).toEqual([]);
    expect(passwordProblems(pw)).toEqual([]);
  });
});

describe("the auth service", () => {
  test("registers an account with the user role and a lower-case email", async () => {
    const { auth } = await makeAuth();
    const account = await auth.register(" Alice@Example.com ", pw);
    expect(account).toMatchObject({ email: "alice@example.com", roles: ["user"] });
    expect(account).not.toHaveProperty("passwordHash");
  });

  test("refuses a weak password and a taken email, writing nothing", async () => {
    const { auth, repo } = await makeAuth();
    const weak = await errorOf(auth.register("a@example.com", "password"));
    expect(weak).toMatchObject({ code: "invalid_argument" });
    expect((weak as AppError).fields?.[0]?.path).toBe("/body/password");
    expect(repo.counts().accounts).toBe(0);
    await auth.register("a@example.com", pw);
    expect(await codeOf(auth.register("A@example.com", pw))).toBe("conflict");
    expect(repo.counts().accounts).toBe(1);
  });

  test("a registration is announced with its account, and a refused one announces nothing", async () => {
    const { auth, repo } = await makeAuth();
    const account = await auth.register("a@example.com", pw);
    expect(await codeOf(auth.register("A@example.com", pw))).toBe("conflict");
    expect(await codeOf(auth.register("b@example.com", "password"))).toBe("invalid_argument");
    expect(repo.registered.map((a) => a.id)).toEqual([account.id]);
  });

  test("login gives an EdDSA access token with the documented claims that verifies against the JWKS", async () => {
    const { auth, keys } = await makeAuth();
    const account = await auth.register("a@example.com", pw);
    const pair = await auth.login("A@example.com", pw);
    const { payload, protectedHeader } = await jwtVerify(pair.accessToken, createLocalJWKSet(await keys.jwks()), {
      issuer: "shop-auth",
      audience: "shop",
      algorithms: ["EdDSA"],
    });
    expect(protectedHeader.kid).toBe((await keys.kids())[0]!);
    expect(payload).toMatchObject({ sub: account.id, roles: ["user"] });
    expect(payload.exp! - payload.iat!).toBe(900);
    expect(payload.jti).toMatch(/^[0-9a-f-]{36}$/);
    expect(pair.refreshToken).toMatch(/^[A-Za-z0-9_-]{43}$/);
  });

  test("a refresh token is stored only as its hash", async () => {
    const { auth, repo } = await makeAuth();
    await auth.register("a@example.com", pw);
    const pair = await auth.login("a@example.com", pw);
    expect(await repo.refreshTokenByHash(pair.refreshToken)).toBeNull();
    expect(await repo.refreshTokenByHash(hashToken(pair.refreshToken))).not.toBeNull();
  });

  test("an unknown email and a wrong password get the same answer", async () => {
    const { auth } = await makeAuth();
    await auth.register("a@example.com", pw);
    const unknown = (await errorOf(auth.login("nobody@example.com", pw))) as AppError;
    const wrong = (await errorOf(auth.login("a@example.com", "Wrong-password1"))) as AppError;
    expect([unknown.code, unknown.message]).toEqual([wrong.code, wrong.message]);
    expect(unknown.code).toBe("unauthenticated");
  });

  test("five failures in the window lock the email, even the right password, until the lock ends", async () => {
    const clock = manualClock();
    const { auth } = await makeAuth({ now: clock.now });
    await auth.register("a@example.com", pw);
    for (let i = 0; i < 4; i++)
      expect(await codeOf(auth.login("a@example.com", "Wrong-password1"))).toBe("unauthenticated");
    const locked = (await errorOf(auth.login("a@example.com", "Wrong-password1"))) as AppError;
    expect(locked.code).toBe("too_many_requests");
    expect(locked.options.headers?.["retry-after"]).toBe("900");
    clock.advance(60_000);
    const still = (await errorOf(auth.login("a@example.com", pw))) as AppError;
    expect(still.code).toBe("too_many_requests");
    expect(still.options.headers?.["retry-after"]).toBe("840");
    clock.advance(840_000);
    expect((await auth.login("a@example.com", pw)).accessToken).toBeString();
  });

  test("unknown emails lock the same way, so a lock tells nothing about registration", async () => {
    const { auth } = await makeAuth();
    const codes = [];
    for (let i = 0; i < 6; i++) codes.push(await codeOf(auth.login("ghost@example.com", pw)));
    expect(codes).toEqual([...Array(4).fill("unauthenticated"), "too_many_requests", "too_many_requests"]);
  });

  test("failures spread wider than the window never lock, and a success clears them", async () => {
    const clock = manualClock();
    const { auth, repo } = await makeAuth({ now: clock.now });
    await auth.register("a@example.com", pw);
    for (let i = 0; i < 8; i++) {
      expect(await codeOf(auth.login("a@example.com", "Wrong-password1"))).toBe("unauthenticated");
      clock.advance(4 * 60_000);
    }
    await auth.login("a@example.com", pw);
    expect(await repo.loginAttempts("a@example.com")).toBeNull();
  });

  test("pruning forgets failures past their window or lock and keeps a lock that still holds", async () => {
    const clock = manualClock();
    const { auth, repo } = await makeAuth({ now: clock.now });
    await codeOf(auth.login("once@example.com", pw));
    clock.advance(600_000);
    for (let i = 0; i < 5; i++) await codeOf(auth.login("locked@example.com", pw));
    clock.advance(400_000);
    expect(await auth.prune()).toEqual({ loginAttempts: 1, refreshTokens: 0 });
    expect(await repo.loginAttempts("once@example.com")).toBeNull();
    expect(await codeOf(auth.login("locked@example.com", pw))).toBe("too_many_requests");
    clock.advance(500_000);
    expect(await auth.prune()).toEqual({ loginAttempts: 1, refreshTokens: 0 });
    // the lock has ended and its count is gone: the next failure is the first of a new window
    expect(await codeOf(auth.login("locked@example.com", pw))).toBe("unauthenticated");
    expect((await repo.loginAttempts("locked@example.com"))?.failures).toBe(1);
  });

  test("pruning deletes a session's refresh tokens once the newest of them has expired", async () => {
    const clock = manualClock();
    const { auth, repo } = await makeAuth({ now: clock.now, policy: { refreshTtlSec: 3600 } });
    await auth.register("a@example.com", pw);
    const first = await auth.login("a@example.com", pw);
    clock.advance(1800_000);
    const second = await auth.refresh(first.refreshToken);
    clock.advance(1800_000);
    // the first token has expired, but reusing it must still revoke the session: nothing is pruned
    expect((await auth.prune()).refreshTokens).toBe(0);
    clock.advance(1800_000);
    expect((await auth.prune()).refreshTokens).toBe(2);
    expect(repo.counts().tokens).toBe(0);
    expect(await codeOf(auth.refresh(second.refreshToken))).toBe("unauthenticated");
  });

  test("refresh rotates; reusing a rotated token revokes the family, so the newest one fails too", async () => {
    const { auth } = await makeAuth();
    await auth.register("a@example.com", pw);
    const first = await auth.login("a@example.com", pw);
    const second = await auth.refresh(first.refreshToken);
    expect(second.refreshToken).not.toBe(first.refreshToken);
    const third = await auth.refresh(second.refreshToken);
    expect(await codeOf(auth.refresh(first.refreshToken))).toBe("unauthenticated");
    expect(await codeOf(auth.refresh(third.refreshToken))).toBe("unauthenticated");
  });

  test("reuse revokes only its own family: another session of the same account keeps working", async () => {
    const { auth } = await makeAuth();
    await auth.register("a@example.com", pw);
    const laptop = await auth.login("a@example.com", pw);
    const phone = await auth.login("a@example.com", pw);
    await auth.refresh(laptop.refreshToken);
    await errorOf(auth.refresh(laptop.refreshToken));
    expect((await auth.refresh(phone.refreshToken)).accessToken).toBeString();
  });

  test("an expired or unknown refresh token is refused", async () => {
    const clock = manualClock();
    const { auth } = await makeAuth({ now: clock.now, policy: { refreshTtlSec: 60 } });
    await auth.register("a@example.com", pw);
    const pair = await auth.login("a@example.com", pw);
    clock.advance(61_000);
    expect(await codeOf(auth.refresh(pair.refreshToken))).toBe("unauthenticated");
    expect(await codeOf(auth.refresh("made-up"))).toBe("unauthenticated");
  });

  test("logout revokes the session and is idempotent", async () => {
    const { auth } = await makeAuth();
    await auth.register("a@example.com", pw);
    const pair = await auth.login("a@example.com", pw);
    await auth.logout(pair.refreshToken);
    await auth.logout(pair.refreshToken);
    await auth.logout("never-issued");
    expect(await codeOf(auth.refresh(pair.refreshToken))).toBe("unauthenticated");
  });

  describe("roles", () => {
    const setup = async () => {
      const ctx = await makeAuth();
      const root = await ctx.auth.bootstrapAdmin("root@example.com", pw);
      const alice = await ctx.auth.register("alice@example.com", pw);
      const admin: Actor = { userId: root.id, roles: ["user", "admin"] };
      return { ...ctx, root, alice, admin };
    };

    test("an admin grants and revokes admin; the next refresh carries the new roles", async () => {
      const { auth, alice, admin } = await setup();
      const session = await auth.login("alice@example.com", pw);
      expect((await auth.changeRoles(admin, alice.id, { grant: ["admin"] })).roles).toEqual(["user", "admin"]);
      const refreshed = await auth.refresh(session.refreshToken);
      expect(decodeJwt(refreshed.accessToken).roles).toEqual(["user", "admin"]);
      expect((await auth.changeRoles(admin, alice.id, { revoke: ["admin"] })).roles).toEqual(["user"]);
    });

    test("a non-admin may not change roles, and nothing changes", async () => {
      const { auth, alice, repo } = await setup();
      const self: Actor = { userId: alice.id, roles: ["user"] };
      expect(await codeOf(auth.changeRoles(self, alice.id, { grant: ["admin"] }))).toBe("permission_denied");
      expect((await repo.accountById(alice.id))?.roles).toEqual(["user"]);
    });

    test("unknown accounts, empty or contradictory changes, revoking user or one's own admin are refused", async () => {
      const { auth, root, alice, admin } = await setup();
      expect(await codeOf(auth.changeRoles(admin, "0190d9a4-6b1e-7c3a-9f51-00000000ffff", { grant: ["admin"] }))).toBe(
        "not_found",
      );
      expect(await codeOf(auth.changeRoles(admin, alice.id, {}))).toBe("invalid_argument");
      expect(await codeOf(auth.changeRoles(admin, alice.id, { grant: ["admin"], revoke: ["admin"] }))).toBe(
        "invalid_argument",
      );
      expect(await codeOf(auth.changeRoles(admin, alice.id, { revoke: ["user"] }))).toBe("invalid_argument");
      expect(await codeOf(auth.changeRoles(admin, root.id, { revoke: ["admin"] }))).toBe("invalid_argument");
    });

    test("bootstrapping an existing account makes it admin and keeps its password", async () => {
      const { auth } = await makeAuth();
      await auth.register("boss@example.com", pw);
      const boss = await auth.bootstrapAdmin("boss@example.com", "Other-password2");
      expect(boss.roles).toEqual(["user", "admin"]);
      expect((await auth.login("boss@example.com", pw)).accessToken).toBeString();
      expect((await auth.bootstrapAdmin("boss@example.com", "whatever")).roles).toEqual(["user", "admin"]);
    });

    test("only admins rotate keys", async () => {
      const { auth, alice, admin } = await setup();
      expect(await codeOf(auth.rotateKeys({ userId: alice.id, roles: ["user"] }))).toBe("permission_denied");
      expect((await auth.rotateKeys(admin)).previousKid).toBeString();
    });
  });
});
