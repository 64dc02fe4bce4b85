import type { MiddlewareHandler } from "hono";
import type { Logger } from "pino";
import type { AppEnv } from "./env.ts";

/**
 * Logs one line per request with method, path, route pattern, status, duration and the request and
 * trace ids; skips probe paths. Give it a logger without caller capture and with a buffered destination:
 * it runs on every request, and the caller would always be this file anyway.
 */
export function accessLog(logger: Logger, options: { skip?: readonly string[] } = {}): MiddlewareHandler<AppEnv> {
  const skip = new Set(options.skip ?? ["/healthz", "/readyz", "/metrics"]);
  return async (c, next) => {
    const started = performance.now();
    await next();
    if (skip.has(c.req.path)) return;
    const status = c.res.status;
    const line = {
      requestId: c.get("requestId"),
      traceId: c.get("traceId"),
      method: c.req.method,
      path: c.req.path,
      route: c.req.routePath,
      status,
      durationMs: Math.round((performance.now() - started) * 100) / 100,
    };
    if (status >= 500) logger.error(line, "request failed");
    else logger.info(line, "request");
  };
}
