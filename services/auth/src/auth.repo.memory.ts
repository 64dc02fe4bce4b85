import { AppError } from "@shared/errors";
import type { Account, AttemptRule, AttemptSlot, LoginFailures, RefreshTokenRecord, Role } from "./auth.model.ts";
import type { AuthRepo, NewRefreshToken, RefreshTokenUse } from "./auth.service.ts";
import { delayAfter } from "./auth.throttle.ts";

interface State {
  accounts: Map<string, Account>;
  tokens: Map<string, RefreshTokenRecord>;
  /** Keyed by email, then by address. */
  failures: Map<string, Map<string, LoginFailures>>;
}

/**
 * An in-memory AuthRepo for service and route tests; passes the same contract suite as the PostgreSQL
 * one. Changes are written only after their function returns, so a throw leaves nothing; uses of refresh
 * tokens run one at a time, as the row lock makes them in PostgreSQL.
 */
export class MemoryAuthRepo implements AuthRepo {
  private readonly state: State = { accounts: new Map(), tokens: new Map(), failures: new Map() };
  /** The accounts announced as registered (the outbox of the PostgreSQL repository), oldest first. */
  readonly registered: Account[] = [];
  private tokenUses: Promise<unknown> = Promise.resolve();
  constructor(private readonly now: () => Date = () => new Date()) {}

  async createAccount(account: Omit<Account, "createdAt" | "updatedAt">): Promise<Account> {
    const email = account.email.toLowerCase();
    if (this.state.accounts.has(account.id) || [...this.state.accounts.values()].some((a) => a.email === email)) {
      throw new AppError("conflict", "an account with this email already exists");
    }
    const at = this.now();
    const created: Account = { ...account, email, roles: [...account.roles], createdAt: at, updatedAt: at };
    this.state.accounts.set(account.id, created);
    return { ...created, roles: [...created.roles] };
  }

  async registerAccount(account: Omit<Account, "createdAt" | "updatedAt">): Promise<Account> {
    const created = await this.createAccount(account);
    this.registered.push({ ...created, roles: [...created.roles] });
    return created;
  }

  async accountById(id: string): Promise<Account | null> {
    const a = this.state.accounts.get(id);
    return a ? { ...a, roles: [...a.roles] } : null;
  }

  async accountByEmail(email: string): Promise<Account | null> {
    const a = [...this.state.accounts.values()].find((x) => x.email === email.toLowerCase());
    return a ? { ...a, roles: [...a.roles] } : null;
  }

  async updateRoles(id: string, change: (current: Account) => Role[]): Promise<Account | null> {
    // No await between read and write: that is what makes this atomic, as the contract demands.
    const a = this.state.accounts.get(id);
    if (!a) return null;
    const roles = change({ ...a, roles: [...a.roles] });
    const next = { ...a, roles: [...roles], updatedAt: this.now() };
    this.state.accounts.set(id, next);
    return { ...next, roles: [...roles] };
  }

  async insertRefreshToken(token: NewRefreshToken): Promise<void> {
    this.checkNewToken(token);
    this.state.tokens.set(token.id, { ...token, createdAt: this.now(), usedAt: null, revokedAt: null });
  }

  async refreshTokenByHash(hash: string): Promise<RefreshTokenRecord | null> {
    const t = [...this.state.tokens.values()].find((x) => x.tokenHash === hash);
    return t ? { ...t } : null;
  }

  useRefreshToken<T>(
    hash: string,
    decide: (token: RefreshTokenRecord | null, account: Account | null) => Promise<RefreshTokenUse<T>>,
  ): Promise<T> {
    const run = this.tokenUses.then(async () => {
      const token = await this.refreshTokenByHash(hash);
      const use = await decide(token, token ? await this.accountById(token.accountId) : null);
      if (use.action === "keep") return use.result;
      if (!token) throw new Error(`cannot ${use.action} an unknown refresh token`);
      if (use.action === "revoke") {
        for (const [id, t] of this.state.tokens) {
          if (t.familyId === token.familyId && !t.revokedAt) this.state.tokens.set(id, { ...t, revokedAt: use.at });
        }
      } else {
        this.checkNewToken(use.successor);
        this.state.tokens.set(token.id, { ...this.state.tokens.get(token.id)!, usedAt: use.at });
        await this.insertRefreshToken(use.successor);
      }
      return use.result;
    });
    this.tokenUses = run.catch(() => {});
    return run;
  }

  private checkNewToken(token: NewRefreshToken): void {
    if (!this.state.accounts.has(token.accountId)) throw new AppError("invalid_argument", "unknown account");
    if ([...this.state.tokens.values()].some((t) => t.tokenHash === token.tokenHash)) {
      throw new AppError("conflict", "token hash collision");
    }
  }

  async reserveLoginAttempt(email: string, address: string, rule: AttemptRule): Promise<AttemptSlot> {
    // No await between read and write: that is what makes this atomic, as the contract demands.
    const { now, ceiling } = rule;
    const pairs = this.state.failures.get(email) ?? new Map<string, LoginFailures>();
    const current = pairs.get(address);
    if (current && current.blockedUntil > now) return { granted: false, retryAt: current.blockedUntil };
    let sum = 0;
    for (const f of pairs.values()) if (f.lastFailureAt > ceiling.since) sum += f.failures;
    const extra = sum >= ceiling.failures ? ceiling.extra : 0;
    const failures = !current || current.lastFailureAt <= rule.forgetBefore ? 1 : current.failures + 1;
    const blockedUntil = new Date(now.getTime() + delayAfter(rule, failures, extra) * 1000);
    pairs.set(address, { failures, lastFailureAt: now, blockedUntil });
    this.state.failures.set(email, pairs);
    return { granted: true, failures };
  }

  async loginFailures(email: string, address: string): Promise<LoginFailures | null> {
    const f = this.state.failures.get(email)?.get(address);
    return f ? { ...f } : null;
  }

  async clearLoginFailures(email: string, address: string): Promise<void> {
    const pairs = this.state.failures.get(email);
    pairs?.delete(address);
    if (pairs?.size === 0) this.state.failures.delete(email);
  }

  async pruneLoginFailures(now: Date, lastFailureBefore: Date): Promise<number> {
    let n = 0;
    for (const [email, pairs] of this.state.failures) {
      for (const [address, f] of pairs) {
        if (f.blockedUntil <= now && f.lastFailureAt <= lastFailureBefore) {
          pairs.delete(address);
          n++;
        }
      }
      if (pairs.size === 0) this.state.failures.delete(email);
    }
    return n;
  }

  async pruneRefreshTokens(now: Date): Promise<number> {
    const live = new Set<string>();
    for (const t of this.state.tokens.values()) if (t.expiresAt > now) live.add(t.familyId);
    let n = 0;
    for (const [id, t] of this.state.tokens) {
      if (!live.has(t.familyId)) {
        this.state.tokens.delete(id);
        n++;
      }
    }
    return n;
  }

  /** Counts rows, for tests that prove nothing was written. */
  counts(): { accounts: number; tokens: number; failures: number } {
    let failures = 0;
    for (const pairs of this.state.failures.values()) failures += pairs.size;
    return { accounts: this.state.accounts.size, tokens: this.state.tokens.size, failures };
  }
}
