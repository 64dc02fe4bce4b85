import type { MiddlewareHandler } from "hono";
import type { AppEnv } from "./env.ts";

/** Logs one line per request with method, route pattern, status and duration; skips probe paths. */
export function accessLog(options: { skip?: readonly string[] } = {}): MiddlewareHandler<AppEnv> {
  const skip = new Set(options.skip ?? ["/healthz", "/readyz", "/metrics"]);
  return async (c, next) => {
    const started = performance.now();
    await next();
    if (skip.has(c.req.path)) return;
    const status = c.res.status;
    const fields = {
      method: c.req.method,
      path: c.req.path,
      route: c.req.routePath,
      status,
      durationMs: Math.round((performance.now() - started) * 100) / 100,
    };
    const log = c.get("logger");
    if (status >= 500) log.error(fields, "request failed");
    else log.info(fields, "request");
  };
}
