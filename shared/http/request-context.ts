import type { MiddlewareHandler } from "hono";
import type { Logger } from "pino";
import type { AppEnv } from "./env.ts";

const safeId = /^[A-Za-z0-9._:-]{1,128}$/;
const traceparentPattern = /^[0-9a-f]{2}-([0-9a-f]{32})-[0-9a-f]{16}-[0-9a-f]{2}$/;

function randomHex(bytes: number): string {
  const buf = new Uint8Array(bytes);
  crypto.getRandomValues(buf);
  return Buffer.from(buf).toString("hex");
}

/** The trace id of a W3C `traceparent` header, or a fresh one. */
export function traceIdFrom(traceparent: string | undefined): string {
  const match = traceparent ? traceparentPattern.exec(traceparent) : null;
  return match?.[1] ?? randomHex(16);
}

/**
 * Gives every request an id (the caller's `X-Request-Id` when it is sane, else a new UUID), a trace id
 * (from `traceparent`), and a child logger carrying both; echoes the request id on the response.
 */
export function requestContext(logger: Logger): MiddlewareHandler<AppEnv> {
  return async (c, next) => {
    const incoming = c.req.header("x-request-id");
    const requestId = incoming && safeId.test(incoming) ? incoming : crypto.randomUUID();
    const traceId = traceIdFrom(c.req.header("traceparent"));
    c.set("requestId", requestId);
    c.set("traceId", traceId);
    c.set("logger", logger.child({ requestId, traceId }));
    c.header("x-request-id", requestId);
    await next();
  };
}
