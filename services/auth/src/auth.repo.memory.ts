import { AppError } from "@shared/errors";
import type { Account, LoginAttempts, RefreshTokenRecord, Role } from "./auth.model.ts";
import type { AuthRepo } from "./auth.service.ts";

interface State {
  accounts: Map<string, Account>;
  tokens: Map<string, RefreshTokenRecord>;
  attempts: Map<string, LoginAttempts>;
}

const copyState = (s: State): State => ({
  accounts: new Map([...s.accounts].map(([k, v]) => [k, { ...v, roles: [...v.roles] }])),
  tokens: new Map([...s.tokens].map(([k, v]) => [k, { ...v }])),
  attempts: new Map([...s.attempts].map(([k, v]) => [k, { ...v }])),
});

/**
 * An in-memory AuthRepo for service and route tests; passes the same contract suite as the PostgreSQL
 * one. A transaction works on a copy that replaces the state only when the function succeeds.
 */
export class MemoryAuthRepo implements AuthRepo {
  private state: State = { accounts: new Map(), tokens: new Map(), attempts: new Map() };
  private depth = 0;
  constructor(private readonly now: () => Date = () => new Date()) {}

  async inTransaction<T>(fn: () => Promise<T>): Promise<T> {
    if (this.depth > 0) return fn();
    const before = copyState(this.state);
    this.depth++;
    try {
      return await fn();
    } catch (err) {
      this.state = before;
      throw err;
    } finally {
      this.depth--;
    }
  }

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

  async accountById(id: string): Promise<Account | null> {
    const a = this.state.accounts.get(id);
    return a ? { ...a, roles: [...a.roles] } : null;
  }

  async accountByEmail(email: string): Promise<Account | null> {
    const a = [...this.state.accounts.values()].find((x) => x.email === email.toLowerCase());
    return a ? { ...a, roles: [...a.roles] } : null;
  }

  async setRoles(id: string, roles: Role[]): Promise<Account | null> {
    const a = this.state.accounts.get(id);
    if (!a) return null;
    const next = { ...a, roles: [...roles], updatedAt: this.now() };
    this.state.accounts.set(id, next);
    return { ...next, roles: [...roles] };
  }

  async insertRefreshToken(token: Omit<RefreshTokenRecord, "createdAt" | "usedAt" | "revokedAt">): Promise<void> {
    if (!this.state.accounts.has(token.accountId)) throw new AppError("invalid_argument", "unknown account");
    if ([...this.state.tokens.values()].some((t) => t.tokenHash === token.tokenHash)) {
      throw new AppError("conflict", "token hash collision");
    }
    this.state.tokens.set(token.id, { ...token, createdAt: this.now(), usedAt: null, revokedAt: null });
  }

  async refreshTokenByHash(hash: string): Promise<RefreshTokenRecord | null> {
    const t = [...this.state.tokens.values()].find((x) => x.tokenHash === hash);
    return t ? { ...t } : null;
  }

  async markRefreshTokenUsed(id: string, at: Date): Promise<void> {
    const t = this.state.tokens.get(id);
    if (t) this.state.tokens.set(id, { ...t, usedAt: at });
  }

  async revokeFamily(familyId: string, at: Date): Promise<number> {
    let n = 0;
    for (const [id, t] of this.state.tokens) {
      if (t.familyId === familyId && !t.revokedAt) {
        this.state.tokens.set(id, { ...t, revokedAt: at });
        n++;
      }
    }
    return n;
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
