import { type Database, executorOf, inTransaction, toAppError } from "@shared/db";
import { AppError } from "@shared/errors";
import { enqueueEvent } from "@shared/events/outbox.ts";
import { and, eq, inArray, isNull, lte, type SQL, sql } from "drizzle-orm";
import { alias } from "drizzle-orm/pg-core";
import { userRegistered, userRegisteredPayload } from "./auth.events.ts";
import type { Account, AttemptRule, AttemptSlot, LoginFailures, RefreshTokenRecord, Role } from "./auth.model.ts";
import {
  type AccountRow,
  accounts,
  type LoginFailuresRow,
  loginFailures,
  outbox,
  type RefreshTokenRow,
  refreshTokens,
} from "./auth.schema.ts";
import type { AuthRepo, NewRefreshToken, RefreshTokenUse } from "./auth.service.ts";

/** Row -> domain. Unknown role names in the table are dropped rather than trusted. */
export function accountFromRow(row: AccountRow): Account {
  return {
    id: row.id,
    email: row.email,
    passwordHash: row.passwordHash,
    roles: row.roles.filter((r): r is Role => r === "user" || r === "admin"),
    createdAt: row.createdAt,
    updatedAt: row.updatedAt,
  };
}

function tokenFromRow(row: RefreshTokenRow): RefreshTokenRecord {
  return {
    id: row.id,
    familyId: row.familyId,
    accountId: row.accountId,
    tokenHash: row.tokenHash,
    createdAt: row.createdAt,
    expiresAt: row.expiresAt,
    usedAt: row.usedAt,
    revokedAt: row.revokedAt,
  };
}

function failuresFromRow(row: LoginFailuresRow): LoginFailures {
  return { failures: row.failures, lastFailureAt: row.lastFailureAt, blockedUntil: row.blockedUntil };
}

const at = (d: Date) => sql`${d.toISOString()}::timestamptz`;

const lockedToken = alias(refreshTokens, "locked_token");

/** The PostgreSQL implementation of AuthRepo. */
export class PgAuthRepo implements AuthRepo {
  constructor(private readonly database: Database) {}

  /** The transaction this repository opened, when a call runs inside one. */
  private get db() {
    return executorOf(this.database);
  }

  async createAccount(account: Omit<Account, "createdAt" | "updatedAt">): Promise<Account> {
    try {
      const [row] = await this.db
        .insert(accounts)
        .values({ ...account, email: account.email.toLowerCase() })
        .returning();
      return accountFromRow(row!);
    } catch (err) {
      const mapped = toAppError(err);
      if (mapped?.code === "conflict") {
        throw new AppError("conflict", "an account with this email already exists", { cause: err });
      }
      throw mapped ?? err;
    }
  }

  async registerAccount(account: Omit<Account, "createdAt" | "updatedAt">): Promise<Account> {
    // The account and its `auth.user.registered` outbox row commit together.
    return inTransaction(this.database, async (tx) => {
      const created = await this.createAccount(account);
      await enqueueEvent(tx, outbox, userRegistered, userRegisteredPayload(created));
      return created;
    });
  }

  async accountById(id: string): Promise<Account | null> {
    const [row] = await this.db.select().from(accounts).where(eq(accounts.id, id)).limit(1);
    return row ? accountFromRow(row) : null;
  }

  async accountByEmail(email: string): Promise<Account | null> {
    const [row] = await this.db
      .select()
      .from(accounts)
      .where(sql`lower(${accounts.email}) = ${email.toLowerCase()}`)
      .limit(1);
    return row ? accountFromRow(row) : null;
  }

  async updateRoles(id: string, change: (current: Account) => Role[]): Promise<Account | null> {
    return inTransaction(this.database, async (tx) => {
      const [current] = await tx.select().from(accounts).where(eq(accounts.id, id)).for("update").limit(1);
      if (!current) return null;
      const [row] = await tx
        .update(accounts)
        .set({ roles: change(accountFromRow(current)), updatedAt: sql`now()` })
        .where(eq(accounts.id, id))
        .returning();
      return accountFromRow(row!);
    });
  }

  async insertRefreshToken(token: NewRefreshToken): Promise<void> {
    try {
      await this.db.insert(refreshTokens).values(token);
    } catch (err) {
      throw toAppError(err) ?? err;
    }
  }

  async refreshTokenByHash(hash: string): Promise<RefreshTokenRecord | null> {
    const [row] = await this.db.select().from(refreshTokens).where(eq(refreshTokens.tokenHash, hash)).limit(1);
    return row ? tokenFromRow(row) : null;
  }

  async useRefreshToken<T>(
    hash: string,
    decide: (token: RefreshTokenRecord | null, account: Account | null) => Promise<RefreshTokenUse<T>>,
  ): Promise<T> {
    return inTransaction(this.database, async (tx) => {
      // Only the token row is locked (PostgreSQL names the locked table by its alias, never by schema).
      const [row] = await tx
        .select({ token: lockedToken, account: accounts })
        .from(lockedToken)
        .leftJoin(accounts, eq(accounts.id, lockedToken.accountId))
        .where(eq(lockedToken.tokenHash, hash))
        .limit(1)
        .for("update", { of: lockedToken });
      const token = row ? tokenFromRow(row.token) : null;
      const use = await decide(token, row?.account ? accountFromRow(row.account) : null);
      if (use.action === "keep") return use.result;
      if (!token) throw new Error(`cannot ${use.action} an unknown refresh token`);
      if (use.action === "revoke") {
        await tx
          .update(refreshTokens)
          .set({ revokedAt: use.at })
          .where(and(eq(refreshTokens.familyId, token.familyId), isNull(refreshTokens.revokedAt)));
      } else {
        await tx.update(refreshTokens).set({ usedAt: use.at }).where(eq(refreshTokens.id, token.id));
        await this.insertRefreshToken(use.successor);
      }
      return use.result;
    });
  }

  async reserveLoginAttempt(email: string, address: string, rule: AttemptRule): Promise<AttemptSlot> {
    const { now, ceiling } = rule;
    const delays = `{${rule.delaysSec.join(",")}}`;
    // One statement: the upsert takes the pair's row lock, so concurrent attempts are counted one after the
    // other and each sees the delay the one before it set. The account's sum is read from the snapshot; a
    // few concurrent attempts may miss the moment it crosses the ceiling, never a pair's own limit.
    const waitAfter = (failures: SQL) =>
      sql`make_interval(secs => (${delays}::int[])[least(${failures} + (select extra from account), ${rule.delaysSec.length})])`;
    const restarted = sql`case when f.last_failure_at <= ${at(rule.forgetBefore)} then 1 else f.failures + 1 end`;
    const rows = await this.db.execute<{ failures: number }>(sql`
      with account as (
        select case when coalesce(sum(failures), 0) >= ${ceiling.failures} then ${ceiling.extra}::int else 0 end as extra
        from auth.login_failures
        where email = ${email} and last_failure_at > ${at(ceiling.since)}
      )
      insert into auth.login_failures as f (email, address, failures, last_failure_at, blocked_until)
      values (${email}, ${address}, 1, ${at(now)}, ${at(now)} + ${waitAfter(sql`1`)})
      on conflict (email, address) do update set
        failures = ${restarted},
        last_failure_at = excluded.last_failure_at,
        blocked_until = excluded.last_failure_at + ${waitAfter(restarted)}
      where f.blocked_until <= ${at(now)}
      returning f.failures`);
    const [granted] = rows;
    if (granted) return { granted: true, failures: granted.failures };
    const current = await this.loginFailures(email, address);
    // The row a refused attempt waited on exists; a second's wait covers a prune in between.
    return { granted: false, retryAt: current?.blockedUntil ?? new Date(now.getTime() + 1000) };
  }

  async loginFailures(email: string, address: string): Promise<LoginFailures | null> {
    const [row] = await this.db
      .select()
      .from(loginFailures)
      .where(and(eq(loginFailures.email, email), eq(loginFailures.address, address)))
      .limit(1);
    return row ? failuresFromRow(row) : null;
  }

  async clearLoginFailures(email: string, address: string): Promise<void> {
    await this.db.delete(loginFailures).where(and(eq(loginFailures.email, email), eq(loginFailures.address, address)));
  }

  async pruneLoginFailures(now: Date, lastFailureBefore: Date): Promise<number> {
    const rows = await this.db
      .delete(loginFailures)
      .where(and(lte(loginFailures.blockedUntil, now), lte(loginFailures.lastFailureAt, lastFailureBefore)))
      .returning({ email: loginFailures.email });
    return rows.length;
  }

  async pruneRefreshTokens(now: Date): Promise<number> {
    const expiredFamilies = this.db
      .select({ familyId: refreshTokens.familyId })
      .from(refreshTokens)
      .groupBy(refreshTokens.familyId)
      .having(sql`max(${refreshTokens.expiresAt}) <= ${now.toISOString()}::timestamptz`);
    const rows = await this.db
      .delete(refreshTokens)
      .where(inArray(refreshTokens.familyId, expiredFamilies))
      .returning({ id: refreshTokens.id });
    return rows.length;
  }
}
