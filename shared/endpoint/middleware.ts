import { type Context, type Span, SpanKind, type Tracer } from "@opentelemetry/api";
import { asAppError } from "../errors/connection.ts";
import { type AppError, httpStatusOf } from "../errors/index.ts";
import type { AccessLog } from "../log/access.ts";
import { activeContext, extractTraceContext, recordFailure, withActiveSpan } from "../telemetry/context.ts";
import type { CallContext, Endpoint } from "./contract.ts";

/** A decorator of endpoints (go-kit's `endpoint.Middleware`): takes an endpoint, returns one serving the same contract. */
export type EndpointMiddleware = (next: Endpoint) => Endpoint;

/** The transport label of `endpoint_request_duration_seconds` and of the endpoint span. */
export type TransportName = "http" | "nats" | "grpc" | "local";

/** What the observing middleware records to. */
export interface EndpointObservationOptions {
  transport: TransportName;
  /** Opens a span per call when given; null or absent means tracing is off. */
  tracer?: Tracer | null;
  /** Records `endpoint_request_duration_seconds{endpoint,transport,code}`. */
  metrics?: { endpointObserver(endpoint: string, transport: string): (code: string, seconds: number) => void };
  /** One access line per call. HTTP leaves it out: its edge writes one line per request already. */
  accessLog?: AccessLog;
}

/** The result code of a failed call, as its transport will answer it (`asAppError`). */
function codeOf(err: unknown): string {
  return asAppError(err).code;
}

/**
 * The one middleware chain every transport's endpoint calls go through, in one async frame: the duration
 * histogram, the endpoint span (a child of the HTTP server span, or continuing the message's trace headers
 * from the root context), the access line, and the mapping of any failure to its code. Errors go on to the
 * transport unchanged, which encodes them its own way.
 * @example const served = endpoints.map(observeEndpoint({ transport: "nats", tracer, metrics, accessLog }));
 */
export function observeEndpoint(options: EndpointObservationOptions): EndpointMiddleware {
  const { transport, accessLog } = options;
  const tracer = options.tracer ?? null;
  const remote = transport !== "http";
  const kind = remote ? SpanKind.SERVER : SpanKind.INTERNAL;
  return (next) => {
    const observe = options.metrics?.endpointObserver(next.name, transport);
    const attributes = { "rpc.method": next.name, "endpoint.transport": transport };
    return {
      ...next,
      async handle(input, ctx) {
        const started = performance.now();
        let code = "ok";
        let span: Span | undefined;
        let callCtx: CallContext = ctx;
        try {
          if (tracer === null || ctx.sampled === false) return await next.handle(input, ctx);
          const parent: Context = remote
            ? extractTraceContext((name) => (name === "traceparent" ? ctx.traceparent : ctx.tracestate))
            : activeContext();
          span = tracer.startSpan(next.name, { kind, attributes }, parent);
          const traceId = span.spanContext().traceId;
          if (ctx.traceId !== traceId) callCtx = { ...ctx, traceId };
          return await withActiveSpan(parent, span, () => next.handle(input, callCtx));
        } catch (err) {
          code = codeOf(err);
          if (span) recordFailure(span, err);
          throw err;
        } finally {
          const seconds = (performance.now() - started) / 1000;
          observe?.(code, seconds);
          span?.end();
          accessLog?.({
            requestId: ctx.requestId,
            traceId: callCtx.traceId ?? "",
            spanId: span?.spanContext().spanId,
            method: transport.toUpperCase(),
            path: next.name,
            route: next.name,
            status: code === "ok" ? 200 : httpStatusOf(code as AppError["code"]),
            durationMs: Math.round(seconds * 100_000) / 100,
          });
        }
      },
    };
  };
}
