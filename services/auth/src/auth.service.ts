import { AppError } from "@shared/errors";
import { isAdmin } from "@shared/identity";
import { unknownClientAddress } from "./auth.client-address.ts";
import type {
  AccessClaims,
  Account,
  Actor,
  AttemptRule,
  AttemptSlot,
  LoginFailures,
  PublicAccount,
  RefreshTokenRecord,
  Role,
  RoleChange,
  TokenPair,
} from "./auth.model.ts";
import { passwordProblems } from "./auth.password-policy.ts";
import { attemptRule, defaultThrottle, delaySchedule, type ThrottlePolicy } from "./auth.throttle.ts";

/** A refresh token as it is first stored. */
export type NewRefreshToken = Omit<RefreshTokenRecord, "createdAt" | "usedAt" | "revokedAt">;

/**
 * What happens to a refresh token looked up by `useRefreshToken`: nothing, its family revoked, or it is
 * marked used and its successor stored; `result` is what the call returns.
 */
export type RefreshTokenUse<T> =
  | { action: "keep"; result: T }
  | { action: "revoke"; at: Date; result: T }
  | { action: "rotate"; at: Date; successor: NewRefreshToken; result: T };

/**
 * The storage the auth service needs; adapters implement it (PostgreSQL, in-memory for tests). Every
 * change that must be atomic is one call: the adapter owns the transaction.
 */
export interface AuthRepo {
  /** Inserts an account; throws AppError `conflict` when the id or email (any case) is taken. */
  createAccount(account: Omit<Account, "createdAt" | "updatedAt">): Promise<Account>;
  /**
   * Inserts an account like `createAccount` together with its `auth.user.registered` event, in one
   * transaction: the event commits with the account or neither does.
   */
  registerAccount(account: Omit<Account, "createdAt" | "updatedAt">): Promise<Account>;
  accountById(id: string): Promise<Account | null>;
  /** The account with this email (compared in lower case), or null. */
  accountByEmail(email: string): Promise<Account | null>;
  /**
   * Reads the account under a lock, lets `change` compute its roles and stores them, atomically; null when
   * the id is unknown. A throw from `change` changes nothing and is rethrown.
   */
  updateRoles(id: string, change: (current: Account) => Role[]): Promise<Account | null>;
  insertRefreshToken(token: NewRefreshToken): Promise<void>;
  /** The token with this hash, or null. */
  refreshTokenByHash(hash: string): Promise<RefreshTokenRecord | null>;
  /**
   * Reads the token with this hash (null when unknown) and its account under a lock, lets `decide` say
   * what happens to it and applies that, all in one transaction: concurrent uses of one token are
   * decided one after the other. A throw from `decide` changes nothing and is rethrown.
   */
  useRefreshToken<T>(
    hash: string,
    decide: (token: RefreshTokenRecord | null, account: Account | null) => Promise<RefreshTokenUse<T>>,
  ): Promise<T>;
  /**
   * Counts an attempt of `email` from `address` as a failure before its password is checked, in one atomic
   * step: refused while the pair waits out its delay, else granted and the pair's next delay set by `rule`
   * (its count restarted when its last failure is at or before `rule.forgetBefore`). Concurrent attempts
   * can therefore never check more passwords than the rule allows.
   */
  reserveLoginAttempt(email: string, address: string, rule: AttemptRule): Promise<AttemptSlot>;
  /** The failures counted for `email` from `address`, or null. */
  loginFailures(email: string, address: string): Promise<LoginFailures | null>;
  /** Forgets the failures of `email` from `address` (its password was right). */
  clearLoginFailures(email: string, address: string): Promise<void>;
  /**
   * Deletes the failures that no longer count at `now`: pairs no longer waiting whose last failure is at or
   * before `lastFailureBefore`. Returns how many pairs it deleted.
   */
  pruneLoginFailures(now: Date, lastFailureBefore: Date): Promise<number>;
  /**
   * Deletes the refresh tokens of every family whose tokens have all expired at `now` (a family with one
   * live token keeps its used ones, so their reuse still revokes it). Returns how many it deleted.
   */
  pruneRefreshTokens(now: Date): Promise<number>;
}

/** Password hashing (argon2id in production; cheaper parameters in tests). */
export interface PasswordHasher {
  hash(password: string): Promise<string>;
  verify(password: string, hash: string): Promise<boolean>;
}

/** Signs access tokens and rotates the signing key. */
export interface TokenSigner {
  issue(claims: AccessClaims): Promise<{ token: string; expiresIn: number }>;
  rotate(): Promise<{ kid: string; previousKid: string | null }>;
}

/** Rules of the service that come from config. */
export interface AuthPolicy {
  refreshTtlSec: number;
  throttle: ThrottlePolicy;
}

/** Everything the auth service is built from; `main.ts` passes real adapters, tests pass fakes. */
export interface AuthServiceDeps {
  repo: AuthRepo;
  passwords: PasswordHasher;
  signer: TokenSigner;
  policy: AuthPolicy;
  /** The common passwords refused at registration, lower case (`commonPasswords()`). */
  commonPasswords: ReadonlySet<string>;
  now?: () => Date;
  newId?: () => string;
  newToken?: () => string;
}

/** Default policy: refresh tokens live 30 days; logins are throttled as `defaultThrottle` says. */
export const defaultPolicy: AuthPolicy = { refreshTtlSec: 30 * 24 * 3600, throttle: defaultThrottle };

/** Emails are compared and stored trimmed and in lower case. */
export function normaliseEmail(email: string): string {
  return email.trim().toLowerCase();
}

/** sha256 (hex) of a refresh token: what is stored and looked up. */
export function hashToken(token: string): string {
  return new Bun.CryptoHasher("sha256").update(token).digest("hex");
}

function randomToken(): string {
  return Buffer.from(crypto.getRandomValues(new Uint8Array(32))).toString("base64url");
}

/** The one answer for every refresh token that cannot be used, so none of them says why. */
const invalidRefresh = () => new AppError("unauthenticated", "The refresh token is invalid, expired or revoked");
const badCredentials = () => new AppError("unauthenticated", "Email or password is wrong");

function throttled(until: Date, now: Date): AppError {
  const seconds = Math.max(1, Math.ceil((until.getTime() - now.getTime()) / 1000));
  return new AppError("too_many_requests", `Too many failed logins; try again in ${seconds} s`, {
    headers: { "retry-after": String(seconds) },
  });
}

function publicOf(account: Account): PublicAccount {
  const { passwordHash: _, ...rest } = account;
  return rest;
}

type RefreshOutcome = { kind: "rotated"; pair: TokenPair } | { kind: "reused" } | { kind: "invalid" };

/**
 * Credentials, sessions and roles. Login failures are counted per email (known or not) and client
 * address and answered the same way; refresh tokens rotate on every use and a reused one revokes its
 * whole family.
 */
export class AuthService {
  private readonly repo: AuthRepo;
  private readonly passwords: PasswordHasher;
  private readonly signer: TokenSigner;
  private readonly policy: AuthPolicy;
  private readonly delaysSec: readonly number[];
  private readonly commonPasswords: ReadonlySet<string>;
  private readonly now: () => Date;
  private readonly newId: () => string;
  private readonly newToken: () => string;
  private dummyHash: Promise<string> | undefined;

  constructor(deps: AuthServiceDeps) {
    this.repo = deps.repo;
    this.passwords = deps.passwords;
    this.signer = deps.signer;
    this.policy = deps.policy;
    this.delaysSec = delaySchedule(deps.policy.throttle);
    this.commonPasswords = deps.commonPasswords;
    this.now = deps.now ?? (() => new Date());
    this.newId = deps.newId ?? (() => Bun.randomUUIDv7());
    this.newToken = deps.newToken ?? randomToken;
  }

  /** Prepares the hash that unknown emails are checked against, so even the first one is not faster. */
  async warmUp(): Promise<void> {
    await this.dummy();
  }

  /** Creates an account with the `user` role and announces it (`auth.user.registered`). */
  async register(email: string, password: string): Promise<PublicAccount> {
    this.checkPassword(email, password);
    const passwordHash = await this.passwords.hash(password);
    const account = await this.repo.registerAccount({
      id: this.newId(),
      email: normaliseEmail(email),
      passwordHash,
      roles: ["user"],
    });
    return publicOf(account);
  }

  /**
   * Checks credentials from a client address and starts a new session (a new refresh token family). The
   * attempt is counted as a failure before the password is checked and forgotten when it is right; an
   * attempt while the pair waits is refused (`too_many_requests`) without checking anything.
   */
  async login(email: string, password: string, address = unknownClientAddress): Promise<TokenPair> {
    const key = normaliseEmail(email);
    const now = this.now();
    const slot = await this.repo.reserveLoginAttempt(
      key,
      address,
      attemptRule(this.policy.throttle, this.delaysSec, now),
    );
    if (!slot.granted) throw throttled(slot.retryAt, now);
    const account = await this.repo.accountByEmail(key);
    // An unknown email still pays for one hash verification, so timing does not tell them apart.
    const hash = account?.passwordHash ?? (await this.dummy());
    const ok = (await this.passwords.verify(password, hash)) && account !== null;
    if (!ok || !account) throw badCredentials();
    await this.repo.clearLoginFailures(key, address);
    const { successor, pair } = await this.issue(account, this.newId(), now);
    await this.repo.insertRefreshToken(successor);
    return pair;
  }

  /** Exchanges a refresh token for a new pair; a token used before revokes its family. */
  async refresh(token: string): Promise<TokenPair> {
    const now = this.now();
    const invalid = { action: "keep", result: { kind: "invalid" } } as const;
    const outcome = await this.repo.useRefreshToken(
      hashToken(token),
      async (record, account): Promise<RefreshTokenUse<RefreshOutcome>> => {
        if (!record || record.revokedAt) return invalid;
        if (record.usedAt) return { action: "revoke", at: now, result: { kind: "reused" } };
        if (record.expiresAt <= now || !account) return invalid;
        const { successor, pair } = await this.issue(account, record.familyId, now);
        return { action: "rotate", at: now, successor, result: { kind: "rotated", pair } };
      },
    );
    // The revocation above has committed; only now is the caller told no.
    if (outcome.kind !== "rotated") throw invalidRefresh();
    return outcome.pair;
  }

  /** Ends the session the refresh token belongs to. Unknown tokens are ignored (logout is idempotent). */
  async logout(token: string): Promise<void> {
    const now = this.now();
    await this.repo.useRefreshToken(hashToken(token), async (record) =>
      record ? { action: "revoke", at: now, result: undefined } : { action: "keep", result: undefined },
    );
  }

  /** Grants and revokes roles (admin only). Takes effect at the account's next login or refresh. */
  async changeRoles(actor: Actor, id: string, change: RoleChange): Promise<PublicAccount> {
    if (!isAdmin(actor)) throw new AppError("permission_denied", "Only admins may change roles");
    const grant = change.grant ?? [];
    const revoke = change.revoke ?? [];
    if (grant.length + revoke.length === 0) {
      throw new AppError("invalid_argument", "Nothing to change", {
        fields: [{ path: "/body", message: "give grant or revoke" }],
      });
    }
    if (grant.some((r) => revoke.includes(r))) {
      throw new AppError("invalid_argument", "A role cannot be granted and revoked at once", {
        fields: [{ path: "/body", message: "grant and revoke overlap" }],
      });
    }
    if (revoke.includes("user")) {
      throw new AppError("invalid_argument", "Every account keeps the user role", {
        fields: [{ path: "/body/revoke", message: "user cannot be revoked" }],
      });
    }
    if (id === actor.userId && revoke.includes("admin")) {
      throw new AppError("invalid_argument", "An admin cannot revoke their own admin role", {
        fields: [{ path: "/body/revoke", message: "ask another admin" }],
      });
    }
    const updated = await this.repo.updateRoles(id, (account) => {
      const next = new Set(account.roles);
      for (const r of grant) next.add(r);
      for (const r of revoke) next.delete(r);
      return sortRoles([...next]);
    });
    if (!updated) throw new AppError("not_found", `account ${id} not found`);
    return publicOf(updated);
  }

  /** Rotates the token signing key (admin only); tokens of the previous key stay valid until they expire. */
  async rotateKeys(actor: Actor): Promise<{ kid: string; previousKid: string | null }> {
    if (!isAdmin(actor)) throw new AppError("permission_denied", "Only admins may rotate keys");
    return this.signer.rotate();
  }

  /**
   * Makes sure the configured first admin exists and holds `admin`. An existing account keeps its
   * password; a new one gets the configured password (which must follow the rules).
   */
  async bootstrapAdmin(email: string, password: string): Promise<PublicAccount> {
    const existing = await this.repo.accountByEmail(normaliseEmail(email));
    if (existing) {
      if (existing.roles.includes("admin")) return publicOf(existing);
      const updated = await this.repo.updateRoles(existing.id, (current) => sortRoles([...current.roles, "admin"]));
      return publicOf(updated ?? existing);
    }
    this.checkPassword(email, password);
    const account = await this.repo.createAccount({
      id: this.newId(),
      email: normaliseEmail(email),
      passwordHash: await this.passwords.hash(password),
      roles: ["user", "admin"],
    });
    return publicOf(account);
  }

  /** A new token pair of a family, and the refresh token row the caller stores with its change. */
  private async issue(
    account: Account,
    familyId: string,
    now: Date,
  ): Promise<{ successor: NewRefreshToken; pair: TokenPair }> {
    const refreshToken = this.newToken();
    const successor = {
      id: this.newId(),
      familyId,
      accountId: account.id,
      tokenHash: hashToken(refreshToken),
      expiresAt: new Date(now.getTime() + this.policy.refreshTtlSec * 1000),
    };
    const access = await this.signer.issue({ sub: account.id, roles: account.roles });
    const pair = {
      accessToken: access.token,
      accessExpiresIn: access.expiresIn,
      refreshToken,
      refreshExpiresIn: this.policy.refreshTtlSec,
    };
    return { successor, pair };
  }

  /**
   * Deletes what can no longer matter: login failures that neither delay a pair nor count towards its
   * backoff or its account's ceiling (failures for emails nobody owns would otherwise pile up), and
   * sessions whose every refresh token has expired.
   */
  async prune(): Promise<{ loginFailures: number; refreshTokens: number }> {
    const now = this.now();
    const { forgetSec, accountWindowSec } = this.policy.throttle;
    const lastFailureBefore = new Date(now.getTime() - Math.max(forgetSec, accountWindowSec) * 1000);
    return {
      loginFailures: await this.repo.pruneLoginFailures(now, lastFailureBefore),
      refreshTokens: await this.repo.pruneRefreshTokens(now),
    };
  }

  private checkPassword(email: string, password: string): void {
    const problems = passwordProblems(password, { email, common: this.commonPasswords });
    if (problems.length > 0) {
      throw new AppError("invalid_argument", `The password ${problems.join("; ")}`, {
        fields: problems.map((message) => ({ path: "/body/password", message })),
      });
    }
  }

  private dummy(): Promise<string> {
    this.dummyHash ??= this.passwords.hash(randomToken());
    return this.dummyHash;
  }
}

const roleOrder: Record<Role, number> = { user: 0, admin: 1 };
function sortRoles(list: Role[]): Role[] {
  return [...new Set(list)].sort((a, b) => roleOrder[a] - roleOrder[b]);
}
