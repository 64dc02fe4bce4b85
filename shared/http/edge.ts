import type { MiddlewareHandler } from "hono";
import type { Logger } from "pino";
import type { AccessLog } from "../log/access.ts";
import type { Metrics } from "../metrics/index.ts";
import { createIdSource, traceIdOf } from "../trace/traceparent.ts";
import { requestBody } from "./content-type.ts";
import type { AppEnv } from "./env.ts";
import { problemResponse, toAppError } from "./problem.ts";
import { securityHeaderList } from "./security-headers.ts";

const safeId = /^[A-Za-z0-9._:-]{1,128}$/;
const bodyMethods = new Set(["POST", "PUT", "PATCH", "DELETE"]);

/** Options of the edge middleware. */
export interface EdgeOptions {
  logger: Logger;
  /** Where access lines go; default: `logger` at info (5xx at error). */
  accessLog?: AccessLog;
  metrics?: Metrics;
  limitBytes: number;
  accepted?: readonly string[];
  /** Paths without access lines (probes). */
  quiet?: readonly string[];
}

/**
 * Everything a service does around each request, in ONE middleware so a request pays for one async frame
 * instead of five: request and trace ids, the body checks (415, 413) for requests that carry a body,
 * security headers, the request-duration metric and the access line.
 */
export function edge(options: EdgeOptions): MiddlewareHandler<AppEnv> {
  const checkBody = requestBody({ limitBytes: options.limitBytes, accepted: options.accepted });
  const ids = createIdSource();
  const quiet = new Set(options.quiet ?? ["/healthz", "/readyz", "/metrics"]);
  const { logger, metrics } = options;
  const accessLog: AccessLog =
    options.accessLog ?? ((e) => (e.status >= 500 ? logger.error(e, "request failed") : logger.info(e, "request")));
  return async (c, next) => {
    const started = performance.now();
    const incoming = c.req.header("x-request-id");
    const requestId = incoming && safeId.test(incoming) ? incoming : crypto.randomUUID();
    const traceId = traceIdOf(c.req.header("traceparent")) ?? ids.traceId();
    c.set("requestId", requestId);
    c.set("traceId", traceId);
    c.set("baseLogger", logger);
    if (bodyMethods.has(c.req.method) && c.req.raw.body !== null) {
      try {
        await checkBody(c, next);
      } catch (err) {
        // Thrown here rather than in a handler, so answer it here: outer code must see the final response.
        c.res = problemResponse(c, toAppError(err));
      }
    } else {
      await next();
    }
    const res = c.res;
    res.headers.set("x-request-id", requestId);
    for (const [name, value] of securityHeaderList) res.headers.set(name, value);
    const status = res.status;
    const seconds = (performance.now() - started) / 1000;
    metrics?.observeRequest(c.req.method, c.req.routePath, status, seconds);
    if (quiet.has(c.req.path)) return;
    accessLog({
      requestId,
      traceId,
      method: c.req.method,
      path: c.req.path,
      route: c.req.routePath,
      status,
      durationMs: Math.round(seconds * 100_000) / 100,
    });
  };
}
