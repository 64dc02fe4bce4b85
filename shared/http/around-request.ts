import { type Context as OtelContext, type Span, SpanKind, SpanStatusCode, type Tracer } from "@opentelemetry/api";
import type { Context, MiddlewareHandler, Next } from "hono";
import type { Logger } from "pino";
import type { AccessLog } from "../log/access.ts";
import type { Metrics } from "../metrics/index.ts";
import { extractTraceContext, withActiveSpan } from "../telemetry/context.ts";
import { type Sampling, sampledFlags, sampledRoot, sampledRootContext } from "../telemetry/sampling.ts";
import { createIdSource, parseTraceparent, traceIdOf } from "../trace/traceparent.ts";
import { requestBody } from "./content-type.ts";
import type { AppEnv } from "./env.ts";
import { problemResponse, toAppError } from "./problem.ts";
import { securityHeaderList } from "./security-headers.ts";

const safeId = /^[A-Za-z0-9._:-]{1,128}$/;
const bodyMethods = new Set(["POST", "PUT", "PATCH", "DELETE"]);

/** Options of aroundRequest. */
export interface AroundRequestOptions {
  logger: Logger;
  /** Where access lines go; default: `logger` at info (5xx at error). */
  accessLog?: AccessLog;
  metrics?: Metrics;
  limitBytes: number;
  accepted?: readonly string[];
  /** Paths without access lines and spans (probes). */
  quiet?: readonly string[];
  /** Opens an HTTP server span per request, named by route template, when given; null means tracing is off. */
  tracer?: Tracer | null;
  /**
   * The sampler's rule, applied here before any span: a request it leaves out gets no span and no async
   * context, and its trace goes on flagged unsampled. Absent: the SDK decides on a span made for every request.
   */
  sampling?: Sampling | null;
}

/**
 * Everything a service does around each request, in ONE middleware so a request pays for one async frame
 * instead of five: request and trace ids, the body checks (415, 413) for requests that carry a body,
 * security headers, the request-duration metric and the access line.
 */
export function aroundRequest(options: AroundRequestOptions): MiddlewareHandler<AppEnv> {
  const checkBody = requestBody({ limitBytes: options.limitBytes, accepted: options.accepted });
  const ids = createIdSource();
  const quiet = new Set(options.quiet ?? ["/healthz", "/readyz", "/metrics"]);
  const { logger, metrics } = options;
  const accessLog: AccessLog =
    options.accessLog ?? ((e) => (e.status >= 500 ? logger.error(e, "request failed") : logger.info(e, "request")));
  const tracer = options.tracer ?? null;
  const sampling = options.sampling ?? null;
  // Thrown by the body checks rather than in a handler, so answered here: outer code must see the final response.
  const handle = async (c: Context<AppEnv>, next: Next) => {
    if (bodyMethods.has(c.req.method) && c.req.raw.body !== null) {
      try {
        await checkBody(c, next);
      } catch (err) {
        c.res = problemResponse(c, toAppError(err));
      }
    } else {
      await next();
    }
  };
  return async (c, next) => {
    const started = performance.now();
    const incoming = c.req.header("x-request-id");
    const requestId = incoming && safeId.test(incoming) ? incoming : crypto.randomUUID();
    const isQuiet = quiet.has(c.req.path);
    let span: Span | undefined;
    let parent: OtelContext | undefined;
    let traceId: string | undefined;
    let unsampled = false;
    if (tracer !== null && !isQuiet && sampling !== null) {
      // The sampler's own rule: a valid parent's flag when parent-based, else the ratio on a new trace id.
      const incoming = parseTraceparent(c.req.header("traceparent"));
      if (incoming === null) {
        traceId = ids.traceId();
        if (sampledRoot(traceId, sampling.ratio)) parent = sampledRootContext;
        else unsampled = true;
      } else if (sampling.parentBased && !sampledFlags(incoming.flags)) {
        traceId = incoming.traceId;
        unsampled = true;
      }
    }
    if (tracer !== null && !isQuiet && !unsampled) {
      parent ??= extractTraceContext((name) => c.req.header(name));
      span = tracer.startSpan(
        c.req.method,
        { kind: SpanKind.SERVER, attributes: { "http.request.method": c.req.method, "url.path": c.req.path } },
        parent,
      );
      traceId = span.spanContext().traceId;
    } else {
      traceId ??= traceIdOf(c.req.header("traceparent")) ?? ids.traceId();
    }
    c.set("requestId", requestId);
    c.set("traceId", traceId);
    if (unsampled) c.set("unsampled", true);
    c.set("baseLogger", logger);
    if (span && parent) await withActiveSpan(parent, span, () => handle(c, next));
    else await handle(c, next);
    const res = c.res;
    res.headers.set("x-request-id", requestId);
    for (const [name, value] of securityHeaderList) res.headers.set(name, value);
    const status = res.status;
    const seconds = (performance.now() - started) / 1000;
    const route = c.req.routePath;
    metrics?.observeRequest(c.req.method, route, status, seconds);
    if (span) endServerSpan(span, c.req.method, route, status);
    if (isQuiet) return;
    accessLog({
      requestId,
      traceId,
      spanId: span?.spanContext().spanId,
      method: c.req.method,
      path: c.req.path,
      route,
      status,
      durationMs: Math.round(seconds * 100_000) / 100,
    });
  };
}

/** Names the server span by its route template (`GET /users/:id`) and records the answer. */
function endServerSpan(span: Span, method: string, route: string, status: number): void {
  if (route !== "/*") {
    span.updateName(`${method} ${route}`);
    span.setAttribute("http.route", route);
  }
  span.setAttribute("http.response.status_code", status);
  if (status >= 500) span.setStatus({ code: SpanStatusCode.ERROR });
  span.end();
}
