import pino, { type Logger } from "pino";
import { createLogger } from "./logger.ts";

/**
 * A logger for per-request access lines: no caller capture (it would always name the middleware) and a
 * buffered stdout writer that writes in 4 KiB batches instead of one syscall per request. Call `flush`
 * at shutdown; a crash can lose the last few buffered lines, never anything else.
 */
export function createAccessLogger(options: {
  service: string;
  version: string;
  level?: pino.LevelWithSilent;
  pretty?: boolean;
}): { logger: Logger; flush(): void } {
  if (options.pretty) {
    return { logger: createLogger({ ...options, caller: false }), flush() {} };
  }
  const destination = pino.destination({ fd: 1, sync: false, minLength: 4096 });
  const logger = createLogger({ ...options, caller: false, destination });
  return {
    logger,
    flush() {
      destination.flushSync();
    },
  };
}
