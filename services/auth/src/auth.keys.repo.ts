import { type Database, executorOf, inTransaction } from "@shared/db";
import { desc, isNull, sql } from "drizzle-orm";
import type { KeyStore, StoredKey } from "./auth.keys.ts";
import { type SigningKeyRow, signingKeys } from "./auth.schema.ts";

function keyFromRow(row: SigningKeyRow): StoredKey {
  return {
    kid: row.kid,
    algorithm: "EdDSA",
    publicJwk: row.publicJwk,
    privateKey: row.privateKey,
    createdAt: row.createdAt,
    retiredAt: row.retiredAt,
  };
}

/** The PostgreSQL KeyStore: rows of `auth.signing_keys`, changes serialised by an advisory lock. */
export class PgKeyStore implements KeyStore {
  constructor(private readonly database: Database) {}

  async recent(limit: number): Promise<StoredKey[]> {
    const rows = await executorOf(this.database)
      .select()
      .from(signingKeys)
      .orderBy(
        sql`${signingKeys.retiredAt} is not null`,
        desc(sql`coalesce(${signingKeys.retiredAt}, ${signingKeys.createdAt})`),
        // Two rotations within one millisecond retire keys at the same instant: the later-created key wins.
        desc(signingKeys.createdAt),
      )
      .limit(limit);
    return rows.map(keyFromRow);
  }

  async add(key: StoredKey, options: { onlyIfEmpty?: boolean } = {}) {
    return inTransaction(this.database, async (tx) => {
      // Several instances starting (or rotating) at once take turns here.
      await tx.execute(sql`select pg_advisory_xact_lock(hashtext('auth.signing_keys'))`);
      if (options.onlyIfEmpty) {
        const [any] = await tx.select({ kid: signingKeys.kid }).from(signingKeys).limit(1);
        if (any) return { added: false, retiredKid: null };
      }
      const retired = await tx
        .update(signingKeys)
        .set({ retiredAt: key.createdAt })
        .where(isNull(signingKeys.retiredAt))
        .returning({ kid: signingKeys.kid });
      await tx.insert(signingKeys).values({ ...key, retiredAt: null });
      return { added: true, retiredKid: retired[0]?.kid ?? null };
    });
  }
}
