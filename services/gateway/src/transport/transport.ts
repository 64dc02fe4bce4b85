// The seam between the gateway and the servers that carry its requests. A transport turns what arrives
// on a port into `ClientRequest`s, hands each to the gateway's `Handler`, and writes the `Answer` back.
// Two implement it (`transports.ts` names them): the gateway's own HTTP/1.1 server (`http1/`, the
// default: it spends several microseconds less per request) and `Bun.serve` (`bun.transport.ts`).
import type { ServerLimits } from "../config/server.limits.ts";
import type { Deferred } from "./deferred.ts";

/** Request headers as received: names lower-cased, values trimmed; repeated names kept in order. */
export interface RequestHeaders {
  /** The value of a header (lower-case name), or null; repeated headers other than set-cookie/cookie are
   * joined with ", " as in the Fetch Headers class, cookie with "; ". */
  get(name: string): string | null;
  has(name: string): boolean;
  /** Flat [name, value, name, value, ...] pairs as received (names lower-cased). */
  readonly pairs: readonly string[];
}

/** A client request as the gateway reads it. */
export interface ClientRequest {
  method: string;
  /** Path as sent (percent-encoded), without the query. */
  path: string;
  /** Raw query without `?`, "" when none. */
  query: string;
  headers: RequestHeaders;
  /** Peer address; an IPv4-mapped IPv6 "::ffff:1.2.3.4" is given as "1.2.3.4". */
  clientIp: string;
  /** The request has a body (content-length > 0 or chunked). */
  hasBody: boolean;
  /** Declared length, -1 when chunked, 0 without a body. */
  contentLength: number;
  /** The whole body, or null when it is larger than `limit`; the same promise on every call. Rejects when
   * the body is malformed or cut short, with the 4xx status the transport answered in `status`. */
  readBody(limit: number): Promise<Uint8Array | null>;
}

/**
 * What the gateway answers a client: a status, flat header pairs and a body. The transport adds
 * content-length (or chunked framing for a stream), date unless given, and connection handling; a
 * content-length in `headers` is kept only for a HEAD answer with a null body.
 */
export interface Answer {
  status: number;
  /** Flat `[name, value, ...]` pairs; names are written as given. */
  headers: string[];
  body: Uint8Array | string | ReadableStream<Uint8Array> | null;
  /** How many header pairs at the start of `headers` are known to hold no CR or LF (they came from a
   * parsed backend answer), so the transport need not check them again; the rest always are. */
  checked?: number;
}

/** What a handler returns: an answer, a Web Response (the operational routes), or either one later. */
export type HandlerResult = Answer | Response | Deferred<Answer> | PromiseLike<Answer | Response>;

/** The gateway's side of the seam; `R` is what a transport hands over (a `ClientRequest` or more). */
export type Handler<R extends ClientRequest = ClientRequest> = (req: R) => HandlerResult;

/** The problem+json answer to a request the transport refuses itself (a malformed head, a stalled body, a
 * failing handler), so every error on a port has the gateway's one shape. */
export type ProblemFormatter = (status: number, detail: string) => Answer;

/** What every transport needs to serve the gateway. */
export interface ListenOptions {
  /** 0 picks a free port. */
  port: number;
  hostname?: string;
  handler: Handler;
  problem: ProblemFormatter;
  /** The largest body any route takes (a transport that buffers bodies itself refuses larger ones). */
  maxRequestBodySize: number;
  /** Timeouts, header size and connection cap; each transport says which it can honour. */
  limits: ServerLimits;
  /** A handler that failed outright (a bug); the transport answers 500. */
  onError: (err: unknown) => void;
}

/** A listening transport. */
export interface Listening {
  readonly port: number | undefined;
  /** force=false drains: busy connections finish their answer; force=true closes everything now. */
  stop(force?: boolean): Promise<void> | void;
}

/** Serves a handler on a port. */
export interface Transport {
  listen(opts: ListenOptions): Listening;
}
