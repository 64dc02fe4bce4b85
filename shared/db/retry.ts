import { isConnectionLoss } from "@shared/errors/connection.ts";

/** How often, and how far apart, `retryOnConnectionLoss` tries again. */
export interface ConnectionRetry {
  /** Attempts after the first (default 2). */
  retries?: number;
  /** Wait before the first retry, doubled for each next one (default 100 ms). */
  delayMs?: number;
}

/**
 * Runs `fn`, and runs it again when it failed because the database connection was lost or refused
 * (`isConnectionLoss`), up to `retries` more times: a pooled connection that died with its server is
 * replaced by a fresh one, to whichever host is the primary now. Only for work that is safe to repeat:
 * reads, or a transaction that never reached its COMMIT (see `inTransaction`'s `retry`). Other errors,
 * and the last connection loss, are thrown as they are.
 * @example const order = await retryOnConnectionLoss(() => repo.get(id));
 */
export async function retryOnConnectionLoss<T>(fn: () => Promise<T>, options: ConnectionRetry = {}): Promise<T> {
  const retries = options.retries ?? 2;
  let delayMs = options.delayMs ?? 100;
  for (let attempt = 0; ; attempt++) {
    try {
      return await fn();
    } catch (err) {
      if (attempt >= retries || !isConnectionLoss(err)) throw err;
      await Bun.sleep(delayMs);
      delayMs *= 2;
    }
  }
}
