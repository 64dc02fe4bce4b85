import { AppError } from "@shared/errors";
import type { Account, LoginAttempts, RefreshTokenRecord, Role } from "./auth.model.ts";
import type { AuthRepo, NewRefreshToken, RefreshTokenUse } from "./auth.service.ts";

interface State {
  accounts: Map<string, Account>;
  tokens: Map<string, RefreshTokenRecord>;
  attempts: Map<string, LoginAttempts>;
}

/**
 * An in-memory AuthRepo for service and route tests; passes the same contract suite as the PostgreSQL
 * one. Changes are written only after their function returns, so a throw leaves nothing; uses of refresh
 * tokens run one at a time, as the row lock makes them in PostgreSQL.
 */
export class MemoryAuthRepo implements AuthRepo {
  private readonly state: State = { accounts: new Map(), tokens: new Map(), attempts: new Map() };
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

  async loginAttempts(email: string): Promise<LoginAttempts | null> {
    const a = this.state.attempts.get(email);
    return a ? { ...a } : null;
  }

  async updateLoginAttempts(
    email: string,
    change: (current: LoginAttempts | null) => LoginAttempts | null,
  ): Promise<LoginAttempts | null> {
    // No await between read and write: that is what makes this atomic, as the contract demands.
    const current = this.state.attempts.get(email);
    const next = change(current ? { ...current } : null);
    if (next) this.state.attempts.set(email, { ...next });
    else this.state.attempts.delete(email);
    return next ? { ...next } : null;
  }

  async pruneLoginAttempts(now: Date, windowStartedBefore: Date): Promise<number> {
    let n = 0;
    for (const [email, a] of this.state.attempts) {
      const over = a.lockedUntil !== null ? a.lockedUntil <= now : a.windowStartedAt <= windowStartedBefore;
      if (over) {
        this.state.attempts.delete(email);
        n++;
      }
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
  counts(): { accounts: number; tokens: number; attempts: number } {
    return {
      accounts: this.state.accounts.size,
      tokens: this.state.tokens.size,
      attempts: this.state.attempts.size,
    };
  }
}
