// Request ids and W3C trace context: a valid incoming `traceparent` is continued with a new span id;
// otherwise a new trace starts. Client request ids are kept only when they look like ids.

const traceparentRe = /^00-([0-9a-f]{32})-([0-9a-f]{16})-([0-9a-f]{2})$/;
const requestIdRe = /^[A-Za-z0-9._:-]{1,128}$/;
const zeroTrace = "0".repeat(32);

// Ids are drawn from a pool of random bytes refilled 4 KiB at a time (one getRandomValues call per ~170
// traces instead of two per request) and hex-encoded natively.
const pool = Buffer.allocUnsafe(4096);
let at = pool.length;

function randomHex(bytes: number): string {
  if (at + bytes > pool.length) {
    crypto.getRandomValues(pool);
    at = 0;
  }
  const out = pool.toString("hex", at, at + bytes);
  at += bytes;
  return out;
}

/** The trace id and the `traceparent` to send to backends. */
export interface TraceContext {
  traceId: string;
  traceparent: string;
}

/** Continues or starts a trace from the incoming `traceparent` header. */
export function traceFrom(header: string | null): TraceContext {
  const m = header ? traceparentRe.exec(header) : null;
  const traceId = m && m[1] !== zeroTrace ? m[1]! : randomHex(16);
  const flags = m ? m[3]! : "01";
  return { traceId, traceparent: `00-${traceId}-${randomHex(8)}-${flags}` };
}

/** The client's `x-request-id` when it is a sane id, else a new UUID. */
export function requestIdFrom(header: string | null): string {
  return header && requestIdRe.test(header) ? header : crypto.randomUUID();
}
