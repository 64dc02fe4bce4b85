// A service may start before the service whose stream it reads: its consumer is retried in the background
// until the stream exists, so the shop starts in any order.
import type { RunningConsumer } from "./consumer.ts";
import type { EventsLogger } from "./relay.ts";

/** Options of {@link startWhenReady}. */
export interface StartWhenReadyOptions {
  /** Starts the consumer; rejects while its stream (or the bus) is not there yet. */
  start(): Promise<RunningConsumer>;
  /** Wait between attempts. */
  retryMs: number;
  logger: Pick<EventsLogger, "info" | "warn">;
  /** The stream and durable, for the log lines. */
  stream: string;
  durable: string;
}

/** A consumer being started in the background. */
export interface PendingConsumer {
  /** Whether it has started (its stream existed and it is pulling). */
  readonly started: boolean;
  /** Ends the retries, waits for an attempt in flight and stops the consumer once started. */
  stop(): Promise<void>;
}

/**
 * Starts a consumer, retrying every `retryMs` until its stream exists; the first failure and every 30th
 * are logged.
 * @example const consumer = startWhenReady({ start: () => bus.consume(spec), retryMs: 1000, logger, stream, durable });
 */
export function startWhenReady(options: StartWhenReadyOptions): PendingConsumer {
  const { logger, stream, durable } = options;
  let stopping = false;
  let running: RunningConsumer | null = null;
  const starting = (async () => {
    for (let attempt = 1; !stopping; attempt++) {
      try {
        const consumer = await options.start();
        if (stopping) {
          await consumer.stop();
          return;
        }
        running = consumer;
        logger.info({ stream, durable }, "consuming");
        return;
      } catch (err) {
        if (attempt === 1 || attempt % 30 === 0) {
          logger.warn({ err, stream, attempt }, "cannot start the consumer yet; retrying");
        }
        await Bun.sleep(options.retryMs);
      }
    }
  })();
  return {
    get started() {
      return running !== null;
    },
    async stop() {
      stopping = true;
      await starting;
      await running?.stop();
    },
  };
}
