import { describe, expect, test } from "bun:test";
import { AppError } from "@shared/errors";
import { createLocalJWKSet, decodeJwt, jwtVerify } from "jose";
import type { Actor } from "./auth.model.ts";
import { commonPasswords, passwordProblems } from "./auth.password-policy.ts";
import { hashToken } from "./auth.service.ts";
import { countingHasher, makeAuth, manualClock } from "./auth.testing.ts";
import { defaultThrottle } from "./auth.throttle.ts";

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
  const common = commonPasswords();
  const problems = (password: string, email = "someone@example.com") => passwordProblems(password, { email, common });

  test("want 10 to 128 characters from at least two classes", () => {
    expect(problems("Short1")).toHaveLength(1);
    expect(problems("alllowercaseletters")).toHaveLength(1);
    expect(problems("12345678901234")).toHaveLength(1);
    expect(problems("x".repeat(129))).toHaveLength(2);
    expect(problems("lowercase and spaces")).toEqual([]);
    expect(problems(pw)).toEqual([]);
  });

  test("refuse the common passwords of the embedded list in any case", () => {
    expect(common.size).toBeGreaterThanOrEqual(10_000);
    for (const password of ["password123", "Password123", "PASSWORD123", "qwertyuiop1"]) {
      expect(problems(password)).toEqual(["is one of the most common passwords"]);
    }
  });

  test("refuse a common password padded with digits or symbols, and keep passphrases that merely end in one", () => {
    for (const password of ["Dragon2024!", "sunshine 123", "Monkey_42_42"]) {
      expect(problems(password)).toEqual(["is a common password with digits or symbols added"]);
    }
    expect(problems("monkey-business-7")).toEqual([]);
    expect(problems("my old sunshine 1")).toEqual([]);
    expect(problems("2024!-12345-6789")).toEqual([]);
  });

  test("refuse a password containing the email's local part of three or more characters, in any case", () => {
    const local = "must not contain the part of the email before the @";
    expect(problems("my-Alice-pass-1", "alice@example.com")).toEqual([local]);
    expect(problems("bob-is-fine-1", "alice+shop@example.com")).toEqual([]);
    expect(problems("xALICEx-pass-1", "alice+shop@example.com")).toEqual([local]);
    expect(problems("al-and-more-1", "al@example.com")).toEqual([]);
    expect(problems("Example-com-1", "alice@example.com")).toEqual([]);
  });
});

describe("the auth service", () => {
  test("registers an account with the user role and a lower-case email", async () => {
    const { auth } = await makeAuth();
    const account = await auth.register(" Alice@Example.com ", pw);
    expect(account).toMatchObject({ email: "alice@example.com", roles: ["user"] });
    expect(account).not.toHaveProperty("passwordHash");
  });

  test("refuses a common password, saying why, and writes nothing", async () => {
    const { auth, repo } = await makeAuth();
    const common = (await errorOf(auth.register("a@example.com", "password123"))) as AppError;
    expect(common.code).toBe("invalid_argument");
    expect(common.fields).toEqual([{ path: "/body/password", message: "is one of the most common passwords" }]);
    expect(await codeOf(auth.register("alice@example.com", "Alice-2026-shop"))).toBe("invalid_argument");
    expect(await codeOf(auth.bootstrapAdmin("root@example.com", "Password123"))).toBe("invalid_argument");
    expect(repo.counts().accounts).toBe(0);
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

  test("fourteen concurrent wrong passwords for one account check at most five of them", async () => {
    const passwords = countingHasher();
    const { auth } = await makeAuth({ passwords });
    await auth.register("a@example.com", pw);
    const codes = await Promise.all(
      Array.from({ length: 14 }, () => codeOf(auth.login("a@example.com", "Wrong-password1", "203.0.113.7"))),
    );
    expect(passwords.verified).toBe(5);
    expect(codes.filter((c) => c === "unauthenticated")).toHaveLength(5);
    expect(codes.filter((c) => c === "too_many_requests")).toHaveLength(9);
  });

  test("an address that keeps failing waits longer each time, and its right password waits too", async () => {
    const clock = manualClock();
    const passwords = countingHasher();
    const { auth } = await makeAuth({ now: clock.now, passwords });
    await auth.register("a@example.com", pw);
    const attacker = (password = "Wrong-password1") => errorOf(auth.login("a@example.com", password, "203.0.113.7"));
    for (let i = 0; i < 5; i++) expect(await attacker()).toMatchObject({ code: "unauthenticated" });
    const retryAfter = async (password?: string) => {
      const e = (await attacker(password)) as AppError;
      expect(e.code).toBe("too_many_requests");
      return e.options.headers?.["retry-after"];
    };
    expect(await retryAfter()).toBe("30");
    clock.advance(10_000);
    expect(await retryAfter(pw)).toBe("20");
    clock.advance(20_000);
    expect(await attacker()).toMatchObject({ code: "unauthenticated" });
    expect(await retryAfter()).toBe("60");
    clock.advance(60_000);
    expect(await attacker()).toMatchObject({ code: "unauthenticated" });
    expect(await retryAfter()).toBe("120");
    expect(passwords.verified).toBe(7);
  });

  test("the owner logs in at once from another address while an attacker is throttled, even past the account's ceiling", async () => {
    const clock = manualClock();
    const { auth } = await makeAuth({ now: clock.now });
    const admin = await auth.bootstrapAdmin("root@example.com", pw);
    // 25 failures from 5 addresses: every one of them now waits, and the account is over its ceiling of 20
    for (let a = 1; a <= 5; a++) {
      for (let i = 0; i < 5; i++) await codeOf(auth.login("root@example.com", "Wrong-password1", `203.0.113.${a}`));
      expect(await codeOf(auth.login("root@example.com", pw, `203.0.113.${a}`))).toBe("too_many_requests");
    }
    // a sixth attacking address gets a single guess before it waits
    expect(await codeOf(auth.login("root@example.com", "Wrong-password1", "198.51.100.66"))).toBe("unauthenticated");
    expect(await codeOf(auth.login("root@example.com", "Wrong-password1", "198.51.100.66"))).toBe("too_many_requests");
    const owner = await auth.login("root@example.com", pw, "192.0.2.10");
    expect(decodeJwt(owner.accessToken)).toMatchObject({ sub: admin.id, roles: ["user", "admin"] });
  });

  test("unknown emails are throttled the same way, so a 429 tells nothing about registration", async () => {
    const { auth } = await makeAuth();
    const codes = [];
    for (let i = 0; i < 7; i++) codes.push(await codeOf(auth.login("ghost@example.com", pw, "203.0.113.7")));
    expect(codes).toEqual([...Array(5).fill("unauthenticated"), "too_many_requests", "too_many_requests"]);
  });

  test("a success forgets the address's failures, and failures a day old are forgotten", async () => {
    const clock = manualClock();
    const { auth, repo } = await makeAuth({ now: clock.now });
    await auth.register("a@example.com", pw);
    const wrong = () => codeOf(auth.login("a@example.com", "Wrong-password1", "192.0.2.10"));
    for (let i = 0; i < 4; i++) expect(await wrong()).toBe("unauthenticated");
    await auth.login("a@example.com", pw, "192.0.2.10");
    expect(await repo.loginFailures("a@example.com", "192.0.2.10")).toBeNull();
    for (let i = 0; i < 4; i++) expect(await wrong()).toBe("unauthenticated");
    clock.advance(24 * 3600_000);
    for (let i = 0; i < 4; i++) expect(await wrong()).toBe("unauthenticated");
    expect((await repo.loginFailures("a@example.com", "192.0.2.10"))?.failures).toBe(4);
  });

  test("pruning forgets failures that neither delay an address nor still count, and keeps the others", async () => {
    const clock = manualClock();
    const { auth, repo } = await makeAuth({
      now: clock.now,
      policy: { throttle: { ...defaultThrottle, forgetSec: 3600 } },
    });
    await codeOf(auth.login("once@example.com", pw));
    clock.advance(1800_000);
    for (let i = 0; i < 12; i++) {
      await codeOf(auth.login("waiting@example.com", pw));
      clock.advance(
        ((await repo.loginFailures("waiting@example.com", "unknown"))?.blockedUntil.getTime() ?? 0) -
          clock.now().getTime(),
      );
    }
    expect((await repo.loginFailures("waiting@example.com", "unknown"))?.failures).toBe(12);
    clock.advance(1800_000);
    expect(await auth.prune()).toEqual({ loginFailures: 1, refreshTokens: 0 });
    expect(await repo.loginFailures("once@example.com", "unknown")).toBeNull();
    expect((await repo.loginFailures("waiting@example.com", "unknown"))?.failures).toBe(12);
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
