import type { Logger } from "../log/index.ts";
import type { IdempotencyStore } from "./store.ts";

/** A running purge loop; `stop` waits for a purge under way. */
export interface RunningPurge {
  stop(): Promise<void>;
}

/**
 * Deletes expired keys every `everyMs` (the first time after one period), in every instance: deletes of
 * the same expired rows are harmless, and each round is one indexed delete per thousand keys.
 * @example background: [startIdempotencyPurge({ store, everyMs: config.idempotency.purgeEveryMs, logger })]
 */
export function startIdempotencyPurge(options: {
  store: IdempotencyStore;
  everyMs: number;
  logger: Pick<Logger, "info" | "warn">;
}): RunningPurge {
  let running: Promise<void> | null = null;
  const round = async () => {
    try {
      const purged = await options.store.purge();
      if (purged > 0) options.logger.info({ purged }, "expired idempotency keys purged");
    } catch (err) {
      options.logger.warn({ err }, "purging expired idempotency keys failed; retried next round");
    }
  };
  const timer = setInterval(() => {
    running ??= round().finally(() => {
      running = null;
    });
  }, options.everyMs);
  timer.unref?.();
  return {
    async stop() {
      clearInterval(timer);
      await running;
    },
  };
}
