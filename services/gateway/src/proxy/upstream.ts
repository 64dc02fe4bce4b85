// How the pipeline talks to backends: one call shape, two clients. Plain-http backends go through our
// HTTP/1.1 keep-alive client (much less CPU per call than fetch); https
// backends, streamed request bodies, and everything when `client: "fetch"` is chosen go through Bun's
// fetch, behind the per-origin gate that keeps it inside its 64 pooled sockets.

import { brotliDecompressSync, gunzipSync, inflateSync, zstdDecompressSync } from "node:zlib";
import { Http1Agent, type Http1Request, UpstreamTooLargeError } from "../http1/client.ts";
import type { Sink } from "../transport/deferred.ts";
import type { HeaderLines } from "./forward.ts";
import { UpstreamLimit } from "./upstream.limit.ts";

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

/** Options of `createUpstream`. */
export interface UpstreamOptions {
  /** "http1" (default) uses the keep-alive client for plain http; "fetch" uses fetch for everything. */
  client?: "http1" | "fetch";
  /** Sockets per origin of the HTTP/1.1 client (default 256). */
  maxSockets?: number;
  /** Concurrent buffered fetch calls per origin (default 64, Bun's idle-socket pool); 0 disables. */
  fetchConcurrency?: number;
}

/** The body limit was exceeded. */
export { UpstreamTooLargeError };

function flatHeaders(h: Headers): string[] {
  const out: string[] = [];
  for (const [k, v] of h) out.push(k, v);
  return out;
}

/** Reads a body up to `limit` bytes; returns null when it is larger. */
export async function readLimited(res: Response, limit: number): Promise<Uint8Array<ArrayBuffer> | null> {
  const declared = res.headers.get("content-length");
  if (declared !== null && Number(declared) > limit) {
    await res.body?.cancel().catch(() => {});
    return null;
  }
  // A declared length within the limit, or no limit at all: read it in one go.
  if (declared !== null || limit === Number.POSITIVE_INFINITY) return new Uint8Array(await res.arrayBuffer());
  if (!res.body) return new Uint8Array(0);
  const reader = res.body.getReader();
  const chunks: Uint8Array<ArrayBuffer>[] = [];
  let size = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    size += value.byteLength;
    if (size > limit) {
      await reader.cancel().catch(() => {});
      return null;
    }
    chunks.push(value);
  }
  return Bun.concatArrayBuffers(chunks, Infinity, true);
}

/** Creates the upstream used by one gateway. */
export function createUpstream(opts: UpstreamOptions = {}): Upstream {
  const useHttp1 = (opts.client ?? "http1") === "http1";
  const agent = new Http1Agent({ maxSockets: opts.maxSockets ?? 256 });
  const gate = new UpstreamLimit(opts.fetchConcurrency ?? 64);

  async function viaFetch(call: UpstreamCall): Promise<UpstreamAnswer> {
    const signal = AbortSignal.timeout(Math.max(1, call.deadline - performance.now()));
    const gated = !call.stream;
    if (gated) {
      const wait = gate.acquire(call.origin, signal);
      if (wait) await wait;
    }
    try {
      const res = await fetch(call.origin + call.path, {
        method: call.method,
        headers: call.headers.record,
        body: call.body as BodyInit | null,
        signal,
        redirect: "manual",
        decompress: false,
      });
      const contentEncoding = res.headers.get("content-encoding")?.toLowerCase() ?? "";
      if (call.stream)
        return { status: res.status, headers: flatHeaders(res.headers), body: res.body, contentEncoding };
      const bytes = await readLimited(res, call.maxBytes);
      if (bytes === null) throw new UpstreamTooLargeError(`upstream answer larger than ${call.maxBytes} bytes`);
      return { status: res.status, headers: flatHeaders(res.headers), body: bytes, contentEncoding };
    } finally {
      if (gated) gate.release(call.origin);
    }
  }

  return {
    send(call, to) {
      if (useHttp1 && call.origin.startsWith("http:") && !(call.body instanceof ReadableStream)) {
        // the call already has the request's shape: handed over as it is, without a copy
        agent.send(call.origin, call as Http1Request, to);
        return;
      }
      viaFetch(call).then(
        (answer) => to.answer(answer),
        (err) => to.fail(err),
      );
    },
    connectionsOpened: (origin) => agent.connectionsOpened(origin),
    close: () => agent.close(),
  };
}

/** The answer to `call` as a promise, for the steps that await it (cache fills and revalidation). */
export function answerOf(upstream: Upstream, call: UpstreamCall): Promise<UpstreamAnswer> {
  return new Promise((answer, fail) => upstream.send(call, { answer, fail }));
}

/** The value of header `name` (lower-case) in flat pairs, or null. */
export function headerOf(headers: string[], name: string): string | null {
  for (let i = 0; i < headers.length; i += 2) if (headers[i] === name) return headers[i + 1]!;
  return null;
}

/**
 * A buffered body with its Content-Encoding undone (gzip, deflate, br, zstd), still bounded by `maxBytes`.
 * Throws `UpstreamTooLargeError` over the limit and an Error for an unknown or corrupt coding.
 */
export function decodedBody(body: Uint8Array, encoding: string, maxBytes: number): Uint8Array {
  if (encoding === "" || encoding === "identity") return body;
  // every decoder stops one byte past the limit: a small compressed answer may inflate to gigabytes
  const limit = { maxOutputLength: Number.isFinite(maxBytes) ? maxBytes + 1 : undefined };
  const tooLarge = () => new UpstreamTooLargeError(`decoded answer larger than ${maxBytes} bytes`);
  let out: Uint8Array;
  try {
    if (encoding === "gzip" || encoding === "x-gzip") out = gunzipSync(body, limit);
    else if (encoding === "deflate") out = inflateSync(body, limit);
    else if (encoding === "br") out = brotliDecompressSync(body, limit);
    else if (encoding === "zstd") out = zstdDecompressSync(body, limit);
    else throw new Error(`unsupported content-encoding ${encoding}`);
  } catch (err) {
    if ((err as { code?: string }).code === "ERR_BUFFER_TOO_LARGE") throw tooLarge();
    throw err;
  }
  if (out.byteLength > maxBytes) throw tooLarge();
  return out;
}
