import { and, eq, lt, sql } from "drizzle-orm";
import { getTableConfig } from "drizzle-orm/pg-core";
import type { Database } from "../db/index.ts";
import { inTransaction } from "../db/index.ts";
import {
  type IdempotencyClaim,
  type IdempotencyOutcome,
  type IdempotencyStore,
  keyInProgress,
  keyReused,
  type StoredAnswer,
} from "./store.ts";
import type { IdempotencyKeysTable } from "./table.ts";

/**
 * Keys in the service's `idempotency_keys` table. A request runs inside one transaction that first takes a
 * transaction-scoped advisory lock on its (scope, key) without waiting (taken: 409), then reads the kept
 * answer, and else runs the handler, whose own transactions join this one, and writes the answer before
 * the commit. The change and the answer commit together or not at all: a crash anywhere before the commit
 * leaves neither, and the retry runs the request afresh.
 */
export class PgIdempotencyStore implements IdempotencyStore {
  private readonly lockPrefix: string;

  constructor(
    // biome-ignore lint/suspicious/noExplicitAny: any service's database; the table fixes the columns
    private readonly database: Database<any>,
    private readonly table: IdempotencyKeysTable,
    private readonly options: { ttlMs: number; purgeBatch?: number },
  ) {
    const config = getTableConfig(table);
    this.lockPrefix = `${config.schema ?? "public"}.${config.name}\n`;
  }

  run(claim: IdempotencyClaim, execute: () => Promise<StoredAnswer>): Promise<IdempotencyOutcome> {
    const t = this.table;
    return inTransaction(this.database, async (tx) => {
      const lockName = `${this.lockPrefix}${claim.scope}\n${claim.key}`;
      const [lock] = await tx.execute<{ locked: boolean }>(
        sql`select pg_try_advisory_xact_lock(hashtextextended(${lockName}, 0)) as locked`,
      );
      if (!lock?.locked) throw keyInProgress();
      const [found] = await tx
        .select({ fingerprint: t.fingerprint, status: t.status, headers: t.headers, body: t.body })
        .from(t)
        .where(and(eq(t.scope, claim.scope), eq(t.key, claim.key), sql`${t.expiresAt} > now()`));
      if (found) {
        if (found.fingerprint !== claim.fingerprint) throw keyReused();
        return { answer: { status: found.status, headers: found.headers, body: found.body }, replayed: true };
      }
      const answer = await execute();
      const row = {
        fingerprint: claim.fingerprint,
        status: answer.status,
        headers: answer.headers,
        body: answer.body,
        createdAt: sql`now()`,
        expiresAt: sql`now() + ${this.options.ttlMs} * interval '1 millisecond'`,
      };
      // An expired row the purge has not reached yet is overwritten: the lock makes this writer the only one.
      await tx
        .insert(t)
        .values({ scope: claim.scope, key: claim.key, ...row })
        .onConflictDoUpdate({ target: [t.scope, t.key], set: row });
      return { answer, replayed: false };
    });
  }

  async purge(): Promise<number> {
    const t = this.table;
    const batch = this.options.purgeBatch ?? 1_000;
    let purged = 0;
    // Small batches keep each delete short; expired rows are found through the expires_at index.
    for (;;) {
      const expired = this.database.db
        .select({ scope: t.scope, key: t.key })
        .from(t)
        .where(lt(t.expiresAt, sql`now()`))
        .limit(batch);
      const deleted = await this.database.db
        .delete(t)
        .where(sql`(${t.scope}, ${t.key}) in (${expired})`)
        .returning({ key: t.key });
      purged += deleted.length;
      if (deleted.length < batch) return purged;
    }
  }
}
