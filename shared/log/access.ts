import type pino from "pino";
import { type AccessEntry, createAccessLog } from "./access-line.ts";
import { LineBuffer } from "./line-buffer.ts";
import { createLogger } from "./logger.ts";

/** Writes one access line per request. */
export type AccessLog = (entry: AccessEntry) => void;

/**
 * The access log of a service: one pino-compatible JSON line per request, built by hand (no caller
 * capture, no object serialization) into a buffered stdout writer that writes in 64 KiB chunks or 200 ms
 * after a line. Call `flush` at shutdown; a crash can lose the last buffered lines, never anything else.
 * With `pretty`, lines go through the readable development logger instead.
 */
export function createAccessLogger(options: {
  service: string;
  version: string;
  level?: pino.LevelWithSilent;
  pretty?: boolean;
}): { log: AccessLog; flush(): void } {
  const level = options.level ?? "info";
  if (level === "silent" || level === "fatal" || level === "error" || level === "warn") {
    // Access lines are info (5xx: error); below the level they cost nothing.
    return { log: () => {}, flush() {} };
  }
  if (options.pretty) {
    const logger = createLogger({ ...options, caller: false });
    return {
      log: (e) => (e.status >= 500 ? logger.error(e, "request failed") : logger.info(e, "request")),
      flush() {},
    };
  }
  const buffer = new LineBuffer(1);
  return { log: createAccessLog(buffer, options), flush: () => buffer.flush() };
}
