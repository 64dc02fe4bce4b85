// A small HTTP/1.1 keep-alive client on `Bun.connect`, for plain-http backends. It costs a proxy much less
// CPU per call than `fetch`, and its pool is ours to size: a bounded number of sockets per origin, requests
// queue when all are busy, so a backend never sees a reconnect storm.
// One request per socket at a time (no pipelining: Bun.serve 1.4.5 never answers pipelined requests to an
// async handler, and a server that serves them in turn would make a merge wait for the sum of its backends).
// Bodies framed by Content-Length, chunked or the end of the connection; `Connection: close` honoured; one
// deadline per request (a single sweep timer checks them all); a request that finds its pooled socket closed
// by the server before any answer is retried once on a fresh socket when its method is idempotent; response
// bodies over `maxBytes` fail the request.

import type { Socket } from "bun";
import type { Sink } from "../transport/deferred.ts";
import { isAscii, isToken } from "./fields.ts";
import { Framing, type ResponseParseError, ResponseParser } from "./response.parse.ts";

/** One request to an upstream origin. */
export interface Http1Request {
  method: string;
  /** Origin-form target: `/path?query`. */
  path: string;
  /** Header names lower-case; `host`, `content-length`, `connection`, `transfer-encoding` are set here. Either
   * an object, checked here, or rendered lines the caller vouches for (`lines`: `name: value\r\n` each, token
   * names, no CR/LF/NUL in values, none of the names above, `ascii` when every character is). */
  headers: Record<string, string> | RenderedHeaders;
  body: Uint8Array | null;
  /** `performance.now()` time after which the request (body included) fails with a `TimeoutError`. */
  deadline: number;
  /** Response body limit in bytes (`Infinity`: none); over it the request fails with `UpstreamTooLargeError`. */
  maxBytes: number;
  /** Hand the body over as a stream when it is not complete in the first read (pass-through answers). */
  stream: boolean;
}

/** Header lines rendered and checked by the caller (see `Http1Request.headers`). */
export interface RenderedHeaders {
  readonly lines: string;
  readonly ascii: boolean;
}

/** An upstream answer: status, flat lower-case header pairs and the body. */
export interface Http1Response {
  status: number;
  /** `[name0, value0, name1, value1, ...]`. */
  headers: string[];
  body: Uint8Array | ReadableStream<Uint8Array> | null;
  /** Declared Content-Length, or -1. */
  contentLength: number;
  contentEncoding: string;
}

/** The request's deadline passed (named like the DOM's, so callers classify it as fetch's). */
export class UpstreamTimeoutError extends Error {
  override readonly name = "TimeoutError";
}
/** The connection failed or the answer was unreadable. */
export class UpstreamNetworkError extends Error {
  override readonly name = "UpstreamNetworkError";
}
/** The answer's body is larger than `maxBytes`. */
export class UpstreamTooLargeError extends Error {
  override readonly name = "UpstreamTooLargeError";
}

/** Options of `Http1Agent`. */
export interface Http1AgentOptions {
  /** Sockets per origin, busy or idle (default 256). */
  maxSockets?: number;
  /** An idle socket older than this is not reused (default 4 s; Bun.serve closes idle ones after 10 s). */
  idleMs?: number;
  /** Pass-through bodies with a Content-Length up to this are buffered rather than streamed (64 KiB). */
  bufferBytes?: number;
  /** How often deadlines are checked while requests are in flight (default 10 ms). */
  sweepMs?: number;
  /** A redirect answer (301, 302, 303, 307, 308) is offered to this before its sink gets it; true when it
   * took the answer over (and cancels a streamed body it does not read). */
  redirect?: (req: Http1Request, res: Http1Response, sink: Sink<Http1Response>) => boolean;
}

/** Whether `status` is a redirect a client may follow (Go's client follows exactly these). */
export const isRedirect = (status: number) =>
  status === 301 || status === 302 || status === 303 || status === 307 || status === 308;

const idempotent = new Set(["GET", "HEAD", "OPTIONS", "TRACE", "PUT", "DELETE"]);
const STREAM_HWM = 64 * 1024;

class Exchange {
  settled = false;
  /** The sink has the answer (a streamed body may still be arriving). */
  responded = false;
  retried = false;
  conn: Conn | null = null;
  controller: ReadableStreamDefaultController<Uint8Array> | null = null;
  constructor(
    readonly req: Http1Request,
    readonly wire: Buffer | string,
    /** Gets the outcome from the socket's callbacks (or, for a request that cannot be written, before
     * `send` returns), after the connection is back in its pool. */
    readonly sink: Sink<Http1Response>,
  ) {}
}

const handlers = {
  open(socket: Socket<Conn>) {
    socket.data.opened(socket);
  },
  data(socket: Socket<Conn>, chunk: Buffer) {
    socket.data.onData(chunk);
  },
  drain(socket: Socket<Conn>) {
    socket.data.onDrain();
  },
  close(socket: Socket<Conn>) {
    socket.data.onClose();
  },
  error(socket: Socket<Conn>) {
    socket.data.onClose();
  },
  connectError(socket: Socket<Conn>) {
    socket.data.onClose();
  },
};

class Conn {
  socket: Socket<Conn> | null = null;
  ex: Exchange | null = null;
  /** Answered at least once: a close before any byte may just be a stale keep-alive socket. */
  reused = false;
  gotBytes = false;
  closed = false;
  paused = false;
  idleSince = 0;
  out: Buffer | null = null;
  readonly parser = new ResponseParser();
  constructor(readonly pool: Pool) {}

  opened(socket: Socket<Conn>): void {
    if (this.socket !== null) return;
    if (this.closed) {
      // the request gave up (deadline) while the connection was being made
      socket.terminate();
      return;
    }
    this.socket = socket;
    if (this.ex) this.send();
  }

  start(ex: Exchange): void {
    this.ex = ex;
    ex.conn = this;
    this.gotBytes = false;
    this.parser.reset(ex.req.method === "HEAD");
    if (this.socket) this.send();
  }

  private send(): void {
    const wire = this.ex!.wire;
    const n = this.socket!.write(wire);
    if (n < 0) {
      this.destroy();
      return;
    }
    // a string wire is ASCII, so its length is its byte length
    if (n < wire.length) this.out = (typeof wire === "string" ? Buffer.from(wire, "latin1") : wire).subarray(n);
  }

  onDrain(): void {
    if (!this.out || !this.socket) return;
    const n = this.socket.write(this.out);
    if (n < 0) {
      this.destroy();
      return;
    }
    this.out = n < this.out.length ? this.out.subarray(n) : null;
  }

  onData(chunk: Buffer): void {
    const ex = this.ex;
    if (!ex || ex.settled) {
      // an answer nobody asked for: the connection is out of step
      this.destroy();
      return;
    }
    this.gotBytes = true;
    const p = this.parser;
    try {
      p.feed(chunk);
    } catch (err) {
      this.pool.agent.fail(ex, new UpstreamNetworkError((err as ResponseParseError).message));
      this.destroy();
      return;
    }
    const head = p.head;
    if (head === null) return;
    const limit = ex.req.maxBytes;
    if (p.received > limit || head.contentLength > limit) {
      this.pool.agent.fail(ex, new UpstreamTooLargeError(`upstream answer larger than ${limit} bytes`));
      this.destroy();
      return;
    }
    if (p.done) {
      this.complete(ex);
      return;
    }
    if (ex.responded) {
      this.flush(ex);
      return;
    }
    if (
      ex.req.stream &&
      (p.framing !== Framing.Length || head.contentLength > this.pool.agent.bufferBytes || p.trailing)
    ) {
      this.startStream(ex);
    }
  }

  private startStream(ex: Exchange): void {
    const head = this.parser.head!;
    const conn = this;
    const body = new ReadableStream<Uint8Array>(
      {
        start(controller) {
          ex.controller = controller;
        },
        pull() {
          if (conn.paused && conn.ex === ex) {
            conn.paused = false;
            conn.socket?.resume();
          }
        },
        cancel() {
          if (conn.ex === ex && !ex.settled) {
            conn.pool.agent.settle(ex);
            conn.destroy();
          }
        },
      },
      { highWaterMark: STREAM_HWM, size: (c) => c?.byteLength ?? 0 },
    );
    ex.responded = true;
    this.flush(ex);
    const res: Http1Response = {
      status: head.status,
      headers: head.headers,
      body,
      contentLength: head.contentLength,
      contentEncoding: head.contentEncoding,
    };
    if (!this.pool.agent.redirected(ex.req, res, ex.sink)) ex.sink.answer(res);
  }

  private flush(ex: Exchange): void {
    const c = ex.controller!;
    const parts = this.parser.parts;
    if (parts.length === 0) return;
    for (const part of parts) c.enqueue(part);
    parts.length = 0;
    if ((c.desiredSize ?? 1) <= 0 && !this.paused) {
      this.paused = true;
      this.socket?.pause();
    }
  }

  private complete(ex: Exchange): void {
    const p = this.parser;
    const head = p.head!;
    const agent = this.pool.agent;
    agent.settle(ex);
    this.ex = null;
    ex.conn = null;
    let res: Http1Response | null = null;
    if (ex.responded) {
      this.flush(ex);
      ex.controller!.close();
    } else {
      const parts = p.parts;
      const body = parts.length === 0 ? null : parts.length === 1 ? parts[0]! : Buffer.concat(parts, p.received);
      res = {
        status: head.status,
        headers: head.headers,
        body,
        contentLength: head.contentLength,
        contentEncoding: head.contentEncoding,
      };
    }
    p.parts.length = 0;
    // the connection is back in the pool (or closed) before the sink runs: a request the sink sends may use it
    if (head.keepAlive && !p.trailing && !this.closed && this.out === null) {
      this.reused = true;
      if (this.paused) {
        this.paused = false;
        this.socket?.resume();
      }
      this.pool.release(this);
    } else {
      this.destroy();
    }
    if (res !== null && !agent.redirected(ex.req, res, ex.sink)) ex.sink.answer(res);
  }

  /** Closes the socket; `onClose` does the bookkeeping. */
  destroy(): void {
    if (this.socket && !this.closed) this.socket.terminate();
    else this.onClose();
  }

  onClose(): void {
    if (this.closed) return;
    this.closed = true;
    this.socket = null;
    const pool = this.pool;
    pool.forget(this);
    const ex = this.ex;
    this.ex = null;
    if (ex && !ex.settled) {
      ex.conn = null;
      if (this.parser.end() && this.parser.head) {
        this.complete(ex);
      } else if (!this.gotBytes && this.reused && !ex.retried && idempotent.has(ex.req.method)) {
        // the server closed an idle keep-alive socket just as we used it: nothing was processed
        ex.retried = true;
        pool.dispatch(ex);
      } else {
        pool.agent.fail(ex, new UpstreamNetworkError("upstream closed the connection"));
      }
    }
    pool.refill();
  }
}

class Pool {
  readonly idle: Conn[] = [];
  /** Every socket open or opening, busy or idle (its size bounds new connections; the deadline sweep walks
   * the busy ones). */
  readonly conns = new Set<Conn>();
  readonly waiting: Exchange[] = [];
  /** Sockets ever opened (tests and the benchmark count reconnects with it). */
  created = 0;
  constructor(
    readonly agent: Http1Agent,
    readonly hostname: string,
    readonly port: number,
    /** `host[:port]` as the Host header carries it. */
    readonly hostHeader: string,
    readonly maxSockets: number,
  ) {}

  dispatch(ex: Exchange): void {
    const idle = this.idle;
    while (idle.length > 0) {
      const conn = idle.pop()!;
      if (this.agent.clock - conn.idleSince > this.agent.idleMs) {
        conn.destroy();
        continue;
      }
      conn.start(ex);
      return;
    }
    if (this.conns.size < this.maxSockets) this.connect(ex);
    else this.waiting.push(ex);
  }

  release(conn: Conn): void {
    const next = this.waiting.shift();
    if (next) {
      conn.start(next);
      return;
    }
    conn.idleSince = this.agent.clock;
    this.idle.push(conn);
  }

  forget(conn: Conn): void {
    this.conns.delete(conn);
    const i = this.idle.indexOf(conn);
    if (i >= 0) this.idle.splice(i, 1);
  }

  /** A socket closed: a waiting request may now open a new one. */
  refill(): void {
    while (this.waiting.length > 0 && this.conns.size < this.maxSockets) this.connect(this.waiting.shift()!);
  }

  private connect(ex: Exchange): void {
    const conn = new Conn(this);
    this.conns.add(conn);
    this.created++;
    conn.start(ex);
    Bun.connect<Conn>({ hostname: this.hostname, port: this.port, data: conn, socket: handlers }).then(
      (socket) => conn.opened(socket),
      () => conn.onClose(),
    );
  }
}

/**
 * Keep-alive HTTP/1.1 pools per origin (`http://host:port`).
 * @example
 * const agent = new Http1Agent({ maxSockets: 128 });
 * const res = await agent.request("http://127.0.0.1:8080", { method: "GET", path: "/json", headers: {},
 *   body: null, deadline: performance.now() + 2000, maxBytes: 1 << 20, stream: false });
 */
export class Http1Agent {
  readonly idleMs: number;
  readonly bufferBytes: number;
  /** Requests not settled yet. A count, not a set of them: a set that gains and loses an entry per request
   * keeps the young generation busy and pushes the collector into full collections under load. */
  pending = 0;
  /** `performance.now()` as of the last deadline sweep, or of the first request after a quiet spell: at most a
   * sweep interval old while requests are in flight, which is close enough for the idle-socket age. Clock
   * reads are dear under load, and the pool would otherwise read it twice per request. */
  clock = performance.now();
  private readonly pools = new Map<string, Pool>();
  private readonly maxSockets: number;
  private readonly redirect: NonNullable<Http1AgentOptions["redirect"]> | null;
  private readonly sweepMs: number;
  private sweeper: ReturnType<typeof setInterval> | null = null;

  constructor(opts: Http1AgentOptions = {}) {
    this.maxSockets = opts.maxSockets ?? 256;
    this.idleMs = opts.idleMs ?? 4000;
    this.bufferBytes = opts.bufferBytes ?? 64 * 1024;
    this.sweepMs = opts.sweepMs ?? 10;
    this.redirect = opts.redirect ?? null;
  }

  /** Offers a redirect answer to the `redirect` option; true when it took the answer over. */
  redirected(req: Http1Request, res: Http1Response, sink: Sink<Http1Response>): boolean {
    return this.redirect !== null && isRedirect(res.status) && this.redirect(req, res, sink);
  }

  /** Sends `req` to `origin` (`http://host[:port]`); rejects with the errors above. */
  request(origin: string, req: Http1Request): Promise<Http1Response> {
    return new Promise<Http1Response>((answer, fail) => this.send(origin, req, { answer, fail }));
  }

  /**
   * Sends `req` to `origin` and hands the outcome to `sink`, without a promise in between: the gateway's
   * merges and pass-throughs take answers this way, since a promise and an async step per backend call are
   * a visible share of a merge's CPU under load.
   */
  send(origin: string, req: Http1Request, sink: Sink<Http1Response>): void {
    let pool = this.pools.get(origin);
    if (pool === undefined) pool = this.addPool(origin);
    let wire: Buffer | string;
    try {
      wire = requestBytes(req, pool);
    } catch (err) {
      sink.fail(err as Error);
      return;
    }
    const ex = new Exchange(req, wire, sink);
    this.pending++;
    if (this.sweeper === null) this.startSweeper();
    pool.dispatch(ex);
  }

  /** Sockets opened so far, per origin. */
  connectionsOpened(origin: string): number {
    return this.pools.get(origin)?.created ?? 0;
  }

  /** Closes every socket; requests in flight fail. */
  close(): void {
    for (const pool of this.pools.values()) {
      // the queue first: a closing socket would hand its next request a fresh one
      for (const ex of pool.waiting.splice(0)) this.fail(ex, new UpstreamNetworkError("client closed"));
      for (const conn of [...pool.conns]) {
        const ex = conn.ex;
        if (ex !== null) this.fail(ex, new UpstreamNetworkError("client closed"));
        conn.destroy();
      }
    }
  }

  /** Settles `ex` with `err`: fails it, or errors its body stream. */
  fail(ex: Exchange, err: Error): void {
    if (!this.settle(ex)) return;
    if (ex.responded) ex.controller?.error(err);
    else ex.sink.fail(err);
  }

  /** Marks `ex` settled; false when it already was. */
  settle(ex: Exchange): boolean {
    if (ex.settled) return false;
    ex.settled = true;
    this.pending--;
    return true;
  }

  private addPool(origin: string): Pool {
    const url = new URL(origin);
    if (url.protocol !== "http:") throw new Error(`Http1Agent speaks plain http only, not ${url.protocol}`);
    const hostname = url.hostname.startsWith("[") ? url.hostname.slice(1, -1) : url.hostname;
    const pool = new Pool(this, hostname, Number(url.port || 80), url.host, this.maxSockets);
    this.pools.set(origin, pool);
    return pool;
  }

  private startSweeper(): void {
    this.clock = performance.now();
    this.sweeper = setInterval(() => this.sweep(), this.sweepMs);
    this.sweeper.unref?.();
  }

  private sweep(): void {
    if (this.pending === 0) {
      clearInterval(this.sweeper!);
      this.sweeper = null;
      return;
    }
    const now = performance.now();
    this.clock = now;
    for (const pool of this.pools.values()) {
      // the queue first: a socket closed below hands the next queued request a fresh one
      const waiting = pool.waiting;
      for (let i = waiting.length - 1; i >= 0; i--) {
        const ex = waiting[i]!;
        if (now <= ex.req.deadline) continue;
        waiting.splice(i, 1);
        this.fail(ex, new UpstreamTimeoutError("upstream request timed out"));
      }
      for (const conn of pool.conns) {
        const ex = conn.ex;
        if (ex === null || ex.settled || now <= ex.req.deadline) continue;
        this.fail(ex, new UpstreamTimeoutError("upstream request timed out"));
        conn.destroy();
      }
    }
  }
}

const forbidden = new Set(["host", "content-length", "connection", "transfer-encoding", "keep-alive", "upgrade"]);
const withBody = new Set(["POST", "PUT", "PATCH"]);

/** A request target may not hold spaces, controls or anything that is not a byte. */
function badTarget(path: string): boolean {
  for (let i = 0; i < path.length; i++) {
    const c = path.charCodeAt(i);
    if (c <= 32 || c === 127 || c > 255) return true;
  }
  return false;
}

/** 0: printable ASCII (or tab) only; 1: also bytes above 127; -1: a line break, NUL or a char that is not a
 * byte, which the value may not hold. */
function valueKind(value: string): number {
  let kind = 0;
  for (let i = 0; i < value.length; i++) {
    const c = value.charCodeAt(i);
    if (c >= 32 && c < 127) continue;
    if (c === 10 || c === 13 || c === 0 || c > 255) return -1;
    kind = 1;
  }
  return kind;
}

/**
 * The request head (and body) as written to the socket. Header values are byte strings and are written
 * byte for byte (latin1), as fetch does.
 */
function requestBytes(req: Http1Request, pool: Pool): Buffer | string {
  const path = req.path;
  if (path.charCodeAt(0) !== 47 || badTarget(path)) throw new UpstreamNetworkError("invalid request target");
  let head = `${req.method} ${path} HTTP/1.1\r\nhost: ${pool.hostHeader}\r\n`;
  // the target and host are checked bytes; one value above 127 makes the head go out as latin1 bytes
  let ascii = true;
  const headers = req.headers;
  if (typeof headers.lines === "string" && typeof headers.ascii === "boolean") {
    head += headers.lines;
    ascii = headers.ascii;
  } else {
    const record = headers as Record<string, string>;
    for (const name in record) {
      if (forbidden.has(name)) continue;
      const value = record[name]!;
      const kind = valueKind(value);
      if (kind < 0 || !isToken(name)) throw new UpstreamNetworkError(`invalid header ${name}`);
      if (kind > 0) ascii = false;
      head += `${name}: ${value}\r\n`;
    }
  }
  const body = req.body;
  if (body !== null) head += `content-length: ${body.byteLength}\r\n\r\n`;
  else head += withBody.has(req.method) ? "content-length: 0\r\n\r\n" : "\r\n";
  // an all-ASCII head (the usual case) goes out as a string: Bun encodes it without a Buffer in between
  if (body === null || body.byteLength === 0) return ascii && isAscii(path) ? head : Buffer.from(head, "latin1");
  const out = Buffer.allocUnsafe(head.length + body.byteLength);
  const n = out.write(head, 0, "latin1");
  out.set(body, n);
  return out;
}
