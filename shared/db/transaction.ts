import type { PgDatabase } from "drizzle-orm/pg-core";
import type { PostgresJsQueryResultHKT } from "drizzle-orm/postgres-js";
import type { Database, Tx } from "./database.ts";

/** Options of `inTransaction` for the outermost transaction; ignored when an outer one is reused. */
export interface TransactionOptions {
  isolationLevel?: "read committed" | "repeatable read" | "serializable";
}

/**
 * Runs `fn` in a drizzle transaction, or inside the caller's transaction when one is already open in this
 * async context. A throw anywhere rolls the whole outermost transaction back.
 *
 * @example
 * await inTransaction(database, async (tx) => {
 *   await tx.insert(orders).values(row);
 *   await tx.insert(outbox).values(event);
 * });
 */
export function inTransaction<TTables extends Record<string, unknown>, T>(
  database: Database<TTables>,
  fn: (tx: Tx<TTables>) => Promise<T>,
  options: TransactionOptions = {},
): Promise<T> {
  const outer = database.txContext.getStore();
  if (outer) return fn(outer);
  const run = (tx: Tx<TTables>) => database.txContext.run(tx, () => fn(tx));
  // drizzle turns any config object, even an empty one, into a `set transaction` statement
  return options.isolationLevel
    ? database.db.transaction(run, { isolationLevel: options.isolationLevel })
    : database.db.transaction(run);
}

/** The transaction open in this async context, else the pool-backed drizzle instance. Repositories query through it. */
export function executorOf<TTables extends Record<string, unknown>>(
  database: Database<TTables>,
): PgDatabase<PostgresJsQueryResultHKT, TTables> {
  return database.txContext.getStore() ?? database.db;
}
