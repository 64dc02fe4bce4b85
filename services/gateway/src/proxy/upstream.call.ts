// The shape of a backend call and its answer, shared by the clients (`upstream.ts`) and what follows
// redirects (`redirect.ts`).
import type { Sink } from "../transport/deferred.ts";
import type { HeaderLines } from "./forward.ts";

/** One backend call. */
export interface UpstreamCall {
  /** `http://host:port` (no trailing slash). */
  origin: string;
  /** `/path?query`. */
  path: string;
  method: string;
  headers: HeaderLines;
  body: Uint8Array | ReadableStream<Uint8Array> | null;
  /** `performance.now()` time at which the call fails with a `TimeoutError`. */
  deadline: number;
  /** Response body limit in bytes (`Infinity`: none). */
  maxBytes: number;
  /** Pass-through: the body may be handed over as a stream; it is not decompressed. */
  stream: boolean;
}

/** A backend answer: status, flat lower-case header pairs, body. */
export interface UpstreamAnswer {
  status: number;
  /** `[name0, value0, name1, value1, ...]`; no name or value holds CR or LF (the HTTP/1.1 parser refuses
   * them, fetch's Headers cannot hold them, cache entries are made from either). */
  headers: string[];
  body: Uint8Array | ReadableStream<Uint8Array> | null;
  /** Content-Encoding of `body`, lower-case, "" when identity. */
  contentEncoding: string;
}

/** Sends backend calls. */
export interface Upstream {
  /** The answer or the failure goes to `to`, possibly before `send` returns (a request that cannot be
   * written fails at once). */
  send(call: UpstreamCall, to: Sink<UpstreamAnswer>): void;
  /** Upstream TCP connections opened so far by the HTTP/1.1 client, for `origin`. */
  connectionsOpened(origin: string): number;
  close(): void;
}

/** The value of header `name` (lower-case) in flat pairs, or null. */
export function headerOf(headers: string[], name: string): string | null {
  for (let i = 0; i < headers.length; i += 2) if (headers[i] === name) return headers[i + 1]!;
  return null;
}
