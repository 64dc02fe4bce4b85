import type { Context } from "hono";
import type { Logger } from "pino";
import type { AppEnv } from "./env.ts";

/** The request's logger, bound to its request and trace id (created on first use). */
export function requestLogger(c: Context<AppEnv>): Logger {
  let log = c.get("logger");
  if (!log) {
    log = c.get("baseLogger").child({ requestId: c.get("requestId"), traceId: c.get("traceId") });
    c.set("logger", log);
  }
  return log;
}
