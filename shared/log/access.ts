import type pino from "pino";
import type { Logger } from "pino";
import { LineBuffer } from "./line-buffer.ts";
import { createLogger } from "./logger.ts";

/**
 * A logger for per-request access lines: no caller capture (it would always name the middleware) and a
 * buffered stdout writer that writes in 64 KiB chunks (or 200 ms after a line) instead of one syscall per
 * request. Call `flush` at shutdown; a crash can lose the last buffered lines, never anything else.
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
  const buffer = new LineBuffer(1);
  const logger = createLogger({ ...options, caller: false, destination: buffer });
  return { logger, flush: () => buffer.flush() };
}
