import {
  type Context,
  context,
  ROOT_CONTEXT,
  type Span,
  type SpanOptions,
  SpanStatusCode,
  type TextMapGetter,
  type TextMapSetter,
  type Tracer,
  trace,
} from "@opentelemetry/api";
import { W3CTraceContextPropagator } from "@opentelemetry/core";
import { AppError } from "../errors/index.ts";

// Stateless: the W3C `traceparent`/`tracestate` codec every hop uses when tracing is on.
const w3c = new W3CTraceContextPropagator();

type Lookup = (name: string) => string | null | undefined;

const lookupGetter: TextMapGetter<Lookup> = {
  get: (lookup, key) => lookup(key) ?? undefined,
  keys: () => ["traceparent", "tracestate"],
};

const recordSetter: TextMapSetter<Record<string, string>> = {
  set: (carrier, key, value) => {
    carrier[key] = value;
  },
};

/**
 * The context that incoming trace headers continue, built on the ROOT context: a message loop or a
 * server made inside some span must not inherit that span.
 */
export function extractTraceContext(get: Lookup): Context {
  return w3c.extract(ROOT_CONTEXT, get, lookupGetter);
}

/** Writes `traceparent` (and `tracestate`) of `ctx`'s span into `carrier`; nothing when it has no valid span. */
export function injectTraceContext(ctx: Context, carrier: Record<string, string>): void {
  w3c.inject(ctx, carrier, recordSetter);
}

/** The context active in this async flow (the root when tracing is off). */
export function activeContext(): Context {
  return context.active();
}

/** Runs `fn` with `span` active (as a child context of `parent`). */
export function withActiveSpan<T>(parent: Context, span: Span, fn: () => T): T {
  return context.with(trace.setSpan(parent, span), fn);
}

/** Marks a span failed with the error's code (an AppError's, else `internal`) and records the exception. */
export function recordFailure(span: Span, err: unknown): void {
  const code = err instanceof AppError ? err.code : "internal";
  span.setAttribute("error.type", code);
  span.setStatus({ code: SpanStatusCode.ERROR, message: err instanceof Error ? err.message : String(err) });
  if (!(err instanceof AppError) || code === "internal") span.recordException(err as Error);
}

/**
 * Runs `fn` in a new span, child of `parent` (default: the active context), ended when `fn` settles;
 * a throw marks it failed and goes on.
 * @example await inSpan(tracer, "send orders.order.placed", { kind: SpanKind.PRODUCER }, () => publish(e));
 */
export async function inSpan<T>(
  tracer: Tracer,
  name: string,
  options: SpanOptions,
  fn: (span: Span) => Promise<T>,
  parent: Context = context.active(),
): Promise<T> {
  const span = tracer.startSpan(name, options, parent);
  try {
    return await context.with(trace.setSpan(parent, span), fn, undefined, span);
  } catch (err) {
    recordFailure(span, err);
    throw err;
  } finally {
    span.end();
  }
}

/** The ids a log line written inside a span carries: the span's own. */
export interface LogIds {
  trace_id: string;
  span_id: string;
}

/** The ids a log line written now carries: the active span's, or undefined outside any span. */
export function activeSpanIds(): LogIds | undefined {
  const span = trace.getSpan(context.active());
  if (span === undefined) return undefined;
  const { traceId, spanId } = span.spanContext();
  return { trace_id: traceId, span_id: spanId };
}
