// W3C Trace Context (`traceparent`): the one parser and builder of the platform. Every transport that
// continues a trace (HTTP edge, gateway, NATS calls, events) reads and writes the header through here.

/** The fields of a valid `traceparent` header. */
export interface TraceParent {
  /** 32 lower-case hex digits, never all zeros. */
  traceId: string;
  /** 16 lower-case hex digits, never all zeros: the sender's span. */
  spanId: string;
  /** 2 hex digits; bit 0 is "sampled". */
  flags: string;
}

// Version 00 has exactly four fields; a higher version may append more after a dash (the spec asks
// receivers to read the first four). Version ff is invalid.
const pattern = /^([0-9a-f]{2})-([0-9a-f]{32})-([0-9a-f]{16})-([0-9a-f]{2})(-.*)?$/;
const zeroTrace = "0".repeat(32);
const zeroSpan = "0".repeat(16);

type Fields = [string, string, string, string, string, string?];

function validFields(header: string | null | undefined): Fields | null {
  if (!header) return null;
  const m = pattern.exec(header) as Fields | null;
  if (!m) return null;
  const [, version, traceId, spanId, , rest] = m;
  if (version === "ff" || (version === "00" && rest !== undefined)) return null;
  if (traceId === zeroTrace || spanId === zeroSpan) return null;
  return m;
}

/** The fields of a `traceparent` header, or null when it is missing or invalid. */
export function parseTraceparent(header: string | null | undefined): TraceParent | null {
  const m = validFields(header);
  return m ? { traceId: m[2], spanId: m[3], flags: m[4] } : null;
}

/** The trace id of a valid `traceparent` header, or null; builds no object (the HTTP edge reads one per request). */
export function traceIdOf(header: string | null | undefined): string | null {
  return validFields(header)?.[2] ?? null;
}

/** The `traceparent` header (version 00) for a span. */
export function formatTraceparent(parent: TraceParent): string {
  return `00-${parent.traceId}-${parent.spanId}-${parent.flags}`;
}

// Ids are slices of a hex string made from 4 KiB of random bytes at a time: one getRandomValues and one
// encoding per ~170 traces, and slicing a string costs a fraction of encoding bytes per id. Each caller
// gets its own pool (no module state), so the gateway and a service in one process never share one.
/** A source of random trace and span ids. */
export interface IdSource {
  /** 32 hex digits, never all zeros. */
  traceId(): string;
  /** 16 hex digits, never all zeros. */
  spanId(): string;
}

/** A fast source of random ids, drawing 4 KiB of randomness at a time. */
export function createIdSource(): IdSource {
  const pool = Buffer.allocUnsafe(4096);
  let hex = "";
  let at = 0;
  const take = (chars: number, zero: string): string => {
    for (;;) {
      if (at + chars > hex.length) {
        crypto.getRandomValues(pool);
        hex = pool.toString("hex");
        at = 0;
      }
      const out = hex.slice(at, at + chars);
      at += chars;
      if (out !== zero) return out;
    }
  };
  return { traceId: () => take(32, zeroTrace), spanId: () => take(16, zeroSpan) };
}

const traceIdPattern = /^[0-9a-f]{32}$/;

/**
 * A new span in the trace `traceId` (a caller that kept only the trace id continues it), sampled unless
 * `sampled` is false, or null when `traceId` is missing or not a valid trace id.
 */
export function spanInTrace(
  traceId: string | undefined,
  ids: Pick<IdSource, "spanId">,
  sampled = true,
): TraceParent | null {
  if (!traceId || !traceIdPattern.test(traceId) || traceId === zeroTrace) return null;
  return { traceId, spanId: ids.spanId(), flags: sampled ? "01" : "00" };
}

/**
 * The context for a new span in the trace of `incoming`: the same trace id and flags with a new span id,
 * or a new sampled trace when `incoming` is missing or invalid.
 */
export function childOf(incoming: TraceParent | null, ids: IdSource): TraceParent {
  if (incoming) return { traceId: incoming.traceId, spanId: ids.spanId(), flags: incoming.flags };
  return { traceId: ids.traceId(), spanId: ids.spanId(), flags: "01" };
}
