// How the pipeline talks to backends: one call shape, two clients. Plain-http backends go through our
// HTTP/1.1 keep-alive client (much less CPU per call than fetch); https
// backends, streamed request bodies, and everything when `client: "fetch"` is chosen go through Bun's
// fetch, behind the per-origin gate that keeps it inside its 64 pooled sockets.

import { brotliDecompressSync, gunzipSync, inflateSync, zstdDecompressSync } from "node:zlib";
import { Http1Agent, type Http1Request, isRedirect, UpstreamTooLargeError } from "../http1/client.ts";
import type { Sink } from "../transport/deferred.ts";
import { redirectedCall } from "./redirect.ts";
import type { Upstream, UpstreamAnswer, UpstreamCall } from "./upstream.call.ts";
import { UpstreamLimit } from "./upstream.limit.ts";

export { headerOf, type Upstream, type UpstreamAnswer, type UpstreamCall } from "./upstream.call.ts";

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
  // a redirect answer is offered to `follow` by the client itself, so a call that is not redirected costs nothing
  const agent = new Http1Agent({
    maxSockets: opts.maxSockets ?? 256,
    redirect: (req, res, sink) => follow(req as UpstreamCall, res, sink),
  });
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

  /** Sends the call `answer` redirects to, when it is one to follow; true when it took the answer over. */
  function follow(call: UpstreamCall, answer: UpstreamAnswer, to: Sink<UpstreamAnswer>): boolean {
    let next: UpstreamCall | null;
    try {
      next = redirectedCall(call, answer);
    } catch (err) {
      next = null;
      if (answer.body instanceof ReadableStream) answer.body.cancel().catch(() => {});
      to.fail(err);
      return true;
    }
    if (next === null) return false;
    if (answer.body instanceof ReadableStream) answer.body.cancel().catch(() => {});
    upstream.send(next, to);
    return true;
  }

  const upstream: Upstream = {
    send(call, to) {
      if (useHttp1 && call.origin.startsWith("http:") && !(call.body instanceof ReadableStream)) {
        // the call already has the request's shape: handed over as it is, without a copy
        agent.send(call.origin, call as Http1Request, to);
        return;
      }
      viaFetch(call).then(
        (answer) => {
          if (!isRedirect(answer.status) || !follow(call, answer, to)) to.answer(answer);
        },
        (err) => to.fail(err),
      );
    },
    connectionsOpened: (origin) => agent.connectionsOpened(origin),
    close: () => agent.close(),
  };
  return upstream;
}

/** The answer to `call` as a promise, for the steps that await it (cache fills and revalidation). */
export function answerOf(upstream: Upstream, call: UpstreamCall): Promise<UpstreamAnswer> {
  return new Promise((answer, fail) => upstream.send(call, { answer, fail }));
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
