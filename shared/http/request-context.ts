import type { Context, MiddlewareHandler } from "hono";
import type { Logger } from "pino";
import type { AppEnv } from "./env.ts";

const safeId = /^[A-Za-z0-9._:-]{1,128}$/;
const traceparentPattern = /^[0-9a-f]{2}-([0-9a-f]{32})-[0-9a-f]{16}-[0-9a-f]{2}$/;

/** The trace id of a W3C `traceparent` header, or a fresh one. */
export function traceIdFrom(traceparent: string | undefined): string {
  const match = traceparent ? traceparentPattern.exec(traceparent) : null;
  return match?.[1] ?? crypto.randomUUID().replaceAll("-", "");
}

/**
 * Gives every request an id (the caller's `X-Request-Id` when it is sane, else a new UUID) and a trace
 * id (from `traceparent`), and echoes the request id on the response. The request's child logger is
 * created only when something logs (most requests log one access line, which needs no child).
 */
export function requestContext(logger: Logger): MiddlewareHandler<AppEnv> {
  return async (c, next) => {
    const incoming = c.req.header("x-request-id");
    const requestId = incoming && safeId.test(incoming) ? incoming : crypto.randomUUID();
    const traceId = traceIdFrom(c.req.header("traceparent"));
    c.set("requestId", requestId);
    c.set("traceId", traceId);
    c.set("baseLogger", logger);
    c.header("x-request-id", requestId);
    await next();
  };
}

/** The request's logger, bound to its request and trace id (created on first use). */
export function requestLogger(c: Context<AppEnv>): Logger {
  let log = c.get("logger");
  if (!log) {
    log = c.get("baseLogger").child({ requestId: c.get("requestId"), traceId: c.get("traceId") });
    c.set("logger", log);
  }
  return log;
}
