import { contextOf } from "../endpoint/wire.ts";

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
}

const newSpanId = () => crypto.randomUUID().replaceAll("-", "").slice(0, 16);

/** Trace and request headers for an event caused by `ctx` (a new span of the caller's trace). */
export function contextHeaders(ctx: EventContext | undefined): Record<string, string> {
  const h: Record<string, string> = {};
  if (ctx?.requestId) h[eventHeaderNames.requestId] = ctx.requestId;
  if (ctx?.traceId && /^[0-9a-f]{32}$/.test(ctx.traceId)) {
    h[eventHeaderNames.traceparent] = `00-${ctx.traceId}-${newSpanId()}-01`;
  }
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
