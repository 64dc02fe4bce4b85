import { type Database, executorOf, inTransaction, toAppError } from "@shared/db";
import { AppError } from "@shared/errors";
import { and, eq, inArray, isNotNull, isNull, lte, or, sql } from "drizzle-orm";
import type { Account, LoginAttempts, RefreshTokenRecord, Role } from "./auth.model.ts";
import {
  type AccountRow,
  accounts,
  type LoginAttemptRow,
  loginAttempts,
  type RefreshTokenRow,
  refreshTokens,
} from "./auth.schema.ts";
import type { AuthRepo } from "./auth.service.ts";

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

/** The PostgreSQL implementation of AuthRepo. */
export class PgAuthRepo implements AuthRepo {
  constructor(private readonly database: Database) {}

  /** Joins the caller's transaction when there is one. */
  private get db() {
    return executorOf(this.database);
  }

  inTransaction<T>(fn: () => Promise<T>): Promise<T> {
    return inTransaction(this.database, () => fn());
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

  async setRoles(id: string, roles: Role[]): Promise<Account | null> {
    const [row] = await this.db
      .update(accounts)
      .set({ roles, updatedAt: sql`now()` })
      .where(eq(accounts.id, id))
      .returning();
    return row ? accountFromRow(row) : null;
  }

  async insertRefreshToken(token: Omit<RefreshTokenRecord, "createdAt" | "usedAt" | "revokedAt">): Promise<void> {
    try {
      await this.db.insert(refreshTokens).values(token);
    } catch (err) {
      throw toAppError(err) ?? err;
    }
  }

  async refreshTokenByHash(hash: string, options: { forUpdate?: boolean } = {}): Promise<RefreshTokenRecord | null> {
    const query = this.db.select().from(refreshTokens).where(eq(refreshTokens.tokenHash, hash)).limit(1);
    const [row] = options.forUpdate ? await query.for("update") : await query;
    return row ? tokenFromRow(row) : null;
  }

  async markRefreshTokenUsed(id: string, at: Date): Promise<void> {
    await this.db.update(refreshTokens).set({ usedAt: at }).where(eq(refreshTokens.id, id));
  }

  async revokeFamily(familyId: string, at: Date): Promise<number> {
    const rows = await this.db
      .update(refreshTokens)
      .set({ revokedAt: at })
      .where(and(eq(refreshTokens.familyId, familyId), isNull(refreshTokens.revokedAt)))
      .returning({ id: refreshTokens.id });
    return rows.length;
  }

  async loginAttempts(email: string): Promise<LoginAttempts | null> {
    const [row] = await this.db.select().from(loginAttempts).where(eq(loginAttempts.email, email)).limit(1);
    return row ? attemptsFromRow(row) : null;
  }

  async updateLoginAttempts(
    email: string,
    change: (current: LoginAttempts | null) => LoginAttempts | null,
  ): Promise<LoginAttempts | null> {
    return this.inTransaction(async () => {
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
