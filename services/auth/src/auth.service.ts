import { AppError } from "@shared/errors";
import { isAdmin } from "@shared/identity";
import type {
  AccessClaims,
  Account,
  Actor,
  LoginAttempts,
  PublicAccount,
  RefreshTokenRecord,
  Role,
  RoleChange,
  TokenPair,
} from "./auth.model.ts";

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
  loginAttempts(email: string): Promise<LoginAttempts | null>;
  /**
   * Reads the attempts of one email, lets `change` compute the next state (null deletes it) and stores
   * it, atomically: concurrent failures for one email never lose a count.
   */
  updateLoginAttempts(
    email: string,
    change: (current: LoginAttempts | null) => LoginAttempts | null,
  ): Promise<LoginAttempts | null>;
  /**
   * Deletes the attempts that no longer count at `now`: those whose lock has ended, and unlocked ones whose
   * window started at or before `windowStartedBefore`. Returns how many it deleted.
   */
  pruneLoginAttempts(now: Date, windowStartedBefore: Date): Promise<number>;
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
  lockout: { maxFailures: number; windowSec: number; lockSec: number };
}

/** Everything the auth service is built from; `main.ts` passes real adapters, tests pass fakes. */
export interface AuthServiceDeps {
  repo: AuthRepo;
  passwords: PasswordHasher;
  signer: TokenSigner;
  policy: AuthPolicy;
  now?: () => Date;
  newId?: () => string;
  newToken?: () => string;
}

/** Default policy: refresh tokens live 30 days, 5 failures in 15 min lock the email for 15 min. */
export const defaultPolicy: AuthPolicy = {
  refreshTtlSec: 30 * 24 * 3600,
  lockout: { maxFailures: 5, windowSec: 15 * 60, lockSec: 15 * 60 },
};

const passwordClasses = [/[a-z]/, /[A-Z]/, /[0-9]/, /[^a-zA-Z0-9]/];

/** Password rules: 10..128 characters from at least two classes (lower, upper, digit, other). */
export function passwordProblems(password: string): string[] {
  const problems: string[] = [];
  if (password.length < 10) problems.push("must have at least 10 characters");
  if (password.length > 128) problems.push("must have at most 128 characters");
  if (passwordClasses.filter((c) => c.test(password)).length < 2) {
    problems.push("must mix at least two of: lower case, upper case, digits, other characters");
  }
  return problems;
}

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

function locked(until: Date, now: Date): AppError {
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
 * Credentials, sessions and roles. Login failures are counted per email (known or not) and answered
 * the same way; refresh tokens rotate on every use and a reused one revokes its whole family.
 */
export class AuthService {
  private readonly repo: AuthRepo;
  private readonly passwords: PasswordHasher;
  private readonly signer: TokenSigner;
  private readonly policy: AuthPolicy;
  private readonly now: () => Date;
  private readonly newId: () => string;
  private readonly newToken: () => string;
  private dummyHash: Promise<string> | undefined;

  constructor(deps: AuthServiceDeps) {
    this.repo = deps.repo;
    this.passwords = deps.passwords;
    this.signer = deps.signer;
    this.policy = deps.policy;
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
    checkPassword(password);
    const passwordHash = await this.passwords.hash(password);
    const account = await this.repo.registerAccount({
      id: this.newId(),
      email: normaliseEmail(email),
      passwordHash,
      roles: ["user"],
    });
    return publicOf(account);
  }

  /** Checks credentials and starts a new session (a new refresh token family). */
  async login(email: string, password: string): Promise<TokenPair> {
    const key = normaliseEmail(email);
    const now = this.now();
    const attempts = await this.repo.loginAttempts(key);
    if (attempts?.lockedUntil && attempts.lockedUntil > now) throw locked(attempts.lockedUntil, now);
    const account = await this.repo.accountByEmail(key);
    // An unknown email still pays for one hash verification, so timing does not tell them apart.
    const hash = account?.passwordHash ?? (await this.dummy());
    const ok = (await this.passwords.verify(password, hash)) && account !== null;
    if (!ok || !account) {
      const next = await this.repo.updateLoginAttempts(key, (current) => this.afterFailure(current, now));
      if (next?.lockedUntil && next.lockedUntil > now) throw locked(next.lockedUntil, now);
      throw badCredentials();
    }
    if (attempts) await this.repo.updateLoginAttempts(key, () => null);
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
    checkPassword(password);
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
   * Deletes what can no longer matter: login attempts outside their window and lock (failures for emails
   * nobody owns would otherwise pile up), and sessions whose every refresh token has expired.
   */
  async prune(): Promise<{ loginAttempts: number; refreshTokens: number }> {
    const now = this.now();
    const windowStartedBefore = new Date(now.getTime() - this.policy.lockout.windowSec * 1000);
    return {
      loginAttempts: await this.repo.pruneLoginAttempts(now, windowStartedBefore),
      refreshTokens: await this.repo.pruneRefreshTokens(now),
    };
  }

  private afterFailure(current: LoginAttempts | null, now: Date): LoginAttempts {
    const { maxFailures, windowSec, lockSec } = this.policy.lockout;
    const fresh =
      !current || current.lockedUntil !== null || current.windowStartedAt.getTime() + windowSec * 1000 <= now.getTime();
    const failures = fresh ? 1 : current.failures + 1;
    return {
      failures,
      windowStartedAt: fresh ? now : current.windowStartedAt,
      lockedUntil: failures >= maxFailures ? new Date(now.getTime() + lockSec * 1000) : null,
    };
  }

  private dummy(): Promise<string> {
    this.dummyHash ??= this.passwords.hash(randomToken());
    return this.dummyHash;
  }
}

function checkPassword(password: string): void {
  const problems = passwordProblems(password);
  if (problems.length > 0) {
    throw new AppError("invalid_argument", `The password ${problems.join("; ")}`, {
      fields: problems.map((message) => ({ path: "/body/password", message })),
    });
  }
}

const roleOrder: Record<Role, number> = { user: 0, admin: 1 };
function sortRoles(list: Role[]): Role[] {
  return [...new Set(list)].sort((a, b) => roleOrder[a] - roleOrder[b]);
}
