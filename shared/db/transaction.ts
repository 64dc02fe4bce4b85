import type { PgDatabase } from "drizzle-orm/pg-core";
import type { PostgresJsQueryResultHKT } from "drizzle-orm/postgres-js";
import type { Database, Tx } from "./database.ts";
import { type ConnectionRetry, retryOnConnectionLoss } from "./retry.ts";

/** Options of `inTransaction` for the outermost transaction; ignored when an outer one is reused. */
export interface TransactionOptions {
  isolationLevel?: "read committed" | "repeatable read" | "serializable";
  /**
   * Runs the whole transaction again when the connection was lost before its COMMIT was sent (so nothing
   * was written), e.g. to a primary that just died. Only for functions whose every effect is inside the
   * transaction. A loss during COMMIT is never retried: the outcome is unknown, and the caller answers
   * `unavailable` so that its client retries with its Idempotency-Key.
   */
  retry?: ConnectionRetry;
}

/** A connection lost while COMMIT was under way: thrown past `retryOnConnectionLoss`, then unwrapped. */
class CommitOutcomeUnknown extends Error {
  readonly code = "COMMIT_OUTCOME_UNKNOWN";
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
  if (!options.retry) return runOnce(database, fn, options);
  const attempt = async () => {
    let committing = false;
    try {
      return await runOnce(database, fn, options, () => {
        committing = true;
      });
    } catch (err) {
      throw committing ? new CommitOutcomeUnknown("connection lost during COMMIT", { cause: err }) : err;
    }
  };
  return retryOnConnectionLoss(attempt, options.retry).catch((err: unknown) => {
    throw err instanceof CommitOutcomeUnknown ? err.cause : err;
  });
}

function runOnce<TTables extends Record<string, unknown>, T>(
  database: Database<TTables>,
  fn: (tx: Tx<TTables>) => Promise<T>,
  options: TransactionOptions,
  onBodyDone?: () => void,
): Promise<T> {
  let opened: Tx<TTables> | undefined;
  const run = (tx: Tx<TTables>) => {
    opened = tx;
    return database.txContext.run(tx, async () => {
      const result = await fn(tx);
      onBodyDone?.();
      return result;
    });
  };
  // drizzle turns any config object, even an empty one, into a `set transaction` statement
  const done = options.isolationLevel
    ? database.db.transaction(run, { isolationLevel: options.isolationLevel })
    : database.db.transaction(run);
  return done.then((result) => {
    const callbacks = opened && afterCommitCallbacks.get(opened);
    if (callbacks) for (const callback of callbacks) callback();
    return result;
  });
}

/** Callbacks waiting for the commit of the outermost transaction they were registered in. */
const afterCommitCallbacks = new WeakMap<object, (() => void)[]>();

/**
 * Runs `callback` once the transaction open in this async context commits (never, if it rolls back), or
 * at once when none is open: for notifications that must not announce a change before others can read it.
 * @example onProductChanged: (change) => afterCommit(database, () => publish(change))
 */
export function afterCommit<TTables extends Record<string, unknown>>(
  database: Database<TTables>,
  callback: () => void,
): void {
  const tx = database.txContext.getStore();
  if (!tx) {
    callback();
    return;
  }
  const callbacks = afterCommitCallbacks.get(tx);
  if (callbacks) callbacks.push(callback);
  else afterCommitCallbacks.set(tx, [callback]);
}

/** The transaction open in this async context, else the pool-backed drizzle instance. Repositories query through it. */
export function executorOf<TTables extends Record<string, unknown>>(
  database: Database<TTables>,
): PgDatabase<PostgresJsQueryResultHKT, TTables> {
  return database.txContext.getStore() ?? database.db;
}
