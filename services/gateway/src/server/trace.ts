// Request ids and W3C trace context: a valid incoming `traceparent` is continued with a new span id;
// otherwise a new trace starts. Client request ids are kept only when they look like ids.

const traceparentRe = /^00-([0-9a-f]{32})-([0-9a-f]{16})-([0-9a-f]{2})$/;
const requestIdRe = /^[A-Za-z0-9._:-]{1,128}$/;
const zeroTrace = "0".repeat(32);

// Ids are slices of a hex string made from 4 KiB of random bytes at a time: one getRandomValues and one
// encoding per ~170 traces, and a slice of a string costs a fraction of encoding bytes per id.
const pool = Buffer.allocUnsafe(4096);
let hex = "";
let at = 0;

function randomHex(bytes: number): string {
  const chars = bytes * 2;
  if (at + chars > hex.length) {
    crypto.getRandomValues(pool);
    hex = pool.toString("hex");
    at = 0;
  }
  const out = hex.slice(at, at + chars);
  at += chars;
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
