import { type Database, executorOf, inTransaction, toAppError } from "@shared/db";
import { AppError } from "@shared/errors";
import { enqueueEvent } from "@shared/events/outbox.ts";
import { and, eq, inArray, isNotNull, isNull, lte, or, sql } from "drizzle-orm";
import { alias } from "drizzle-orm/pg-core";
import { userRegistered, userRegisteredPayload } from "./auth.events.ts";
import type { Account, LoginAttempts, RefreshTokenRecord, Role } from "./auth.model.ts";
import {
  type AccountRow,
  accounts,
  type LoginAttemptRow,
  loginAttempts,
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

function attemptsFromRow(row: LoginAttemptRow): LoginAttempts {
  return { failures: row.failures, windowStartedAt: row.windowStartedAt, lockedUntil: row.lockedUntil };
}

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

  async loginAttempts(email: string): Promise<LoginAttempts | null> {
    const [row] = await this.db.select().from(loginAttempts).where(eq(loginAttempts.email, email)).limit(1);
    return row ? attemptsFromRow(row) : null;
  }

  async updateLoginAttempts(
    email: string,
    change: (current: LoginAttempts | null) => LoginAttempts | null,
  ): Promise<LoginAttempts | null> {
    return inTransaction(this.database, async () => {
      // Lock the email's row, creating a placeholder first so two first failures cannot both insert.
      await this.db
        .insert(loginAttempts)
        .values({ email, failures: 0, windowStartedAt: new Date(0) })
        .onConflictDoNothing();
      const [row] = await this.db.select().from(loginAttempts).where(eq(loginAttempts.email, email)).for("update");
      const current = row && row.failures > 0 ? attemptsFromRow(row) : null;
      const next = change(current);
      if (next) {
        await this.db
          .update(loginAttempts)
          .set({ failures: next.failures, windowStartedAt: next.windowStartedAt, lockedUntil: next.lockedUntil })
          .where(eq(loginAttempts.email, email));
      } else {
        await this.db.delete(loginAttempts).where(eq(loginAttempts.email, email));
      }
      return next;
    });
  }

  async pruneLoginAttempts(now: Date, windowStartedBefore: Date): Promise<number> {
    const rows = await this.db
      .delete(loginAttempts)
      .where(
        or(
          and(isNotNull(loginAttempts.lockedUntil), lte(loginAttempts.lockedUntil, now)),
          and(isNull(loginAttempts.lockedUntil), lte(loginAttempts.windowStartedAt, windowStartedBefore)),
        ),
      )
      .returning({ email: loginAttempts.email });
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
