import { isSpanContextValid, trace } from "@opentelemetry/api";
import { contextOf } from "../endpoint/wire.ts";
import { activeContext, injectTraceContext } from "../telemetry/context.ts";
import { formatTraceparent, type IdSource, spanInTrace } from "../trace/traceparent.ts";

/** NATS header names of the event envelope (ADR 0001). */
export const eventHeaderNames = {
  msgId: "Nats-Msg-Id",
  version: "Event-Subject-Version",
  occurredAt: "Event-Occurred-At",
  traceparent: "traceparent",
  requestId: "X-Request-Id",
} as const;

/** The call context an event carries: which request caused it and its trace. */
export interface EventContext {
  requestId?: string;
  traceId?: string;
  /** False when the trace is not recorded: the event carries it flagged unsampled. */
  sampled?: boolean;
}

// Span ids from a UUID's random bits: `enqueueEvent` and `publishCore` are free functions (the first runs
// inside a repository's transaction) with no owner that could hold a pooled IdSource, and one UUID per
// event costs nothing next to the insert or publish it rides with.
const uuidSpans: Pick<IdSource, "spanId"> = { spanId: () => crypto.randomUUID().replaceAll("-", "").slice(0, 16) };

/**
 * Trace and request headers for an event caused by `ctx`: the context of the span active where the event
 * is made when tracing is on (its own ids, so the relay and consumer spans hang under it), else a new span
 * id in the caller's trace.
 */
export function contextHeaders(ctx: EventContext | undefined): Record<string, string> {
  const h: Record<string, string> = {};
  if (ctx?.requestId) h[eventHeaderNames.requestId] = ctx.requestId;
  const active = activeContext();
  const current = trace.getSpanContext(active);
  if (current && isSpanContextValid(current)) {
    injectTraceContext(active, h);
    return h;
  }
  const span = spanInTrace(ctx?.traceId, uuidSpans, ctx?.sampled !== false);
  if (span) h[eventHeaderNames.traceparent] = formatTraceparent(span);
  return h;
}

/** The request id and trace id of received headers, keyed in lower case (a missing request id gets a fresh one). */
export function contextFromHeaders(headers: Readonly<Record<string, string>>): { requestId: string; traceId?: string } {
  const { requestId, traceId } = contextOf((n) => headers[n.toLowerCase()]);
  return traceId ? { requestId, traceId } : { requestId };
}

/** Headers as a plain record with lower-case keys (NATS keeps the sender's spelling). */
export function lowerCaseKeys(entries: Iterable<[string, string | readonly string[]]>): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of entries) out[k.toLowerCase()] = typeof v === "string" ? v : (v[0] ?? "");
  return out;
}
