// One client connection: a state machine that parses requests one at a time (the next head waits until the
// current answer is written), hands each to the handler, feeds its body on demand, writes with backpressure,
// and enforces the timeouts the server's sweep checks.

import type { Socket } from "bun";
import type { Answer, Handler, HandlerResult, ProblemFormatter } from "../transport/transport.ts";
import type { FastBuffer } from "./fields.ts";
import { dropBody, fromWebResponse, reasonOf, send } from "./server.answer.ts";
import { type BodyReader, feedBody, noop } from "./server.body.ts";
import { type IncomingRequest, type ParsedRequest, ProtocolError, parseHead } from "./server.request.ts";

/** The server as its connections use it: settings, the shared clock and date, and the request count. */
export interface ConnectionOwner {
  readonly handler: Handler<IncomingRequest>;
  readonly problem: ProblemFormatter;
  readonly maxHeaderBytes: number;
  readonly maxHeaders: number;
  readonly idleTimeoutMs: number;
  readonly headerTimeoutMs: number;
  readonly readTimeoutMs: number;
  readonly lingerMs: number;
  readonly stopping: boolean;
  /** Requests being handled. */
  pending: number;
  /** The time of the last sweep: connections stamp activity with it instead of reading the clock. */
  readonly now: number;
  /** IMF-fixdate of the current second. */
  readonly date: string;
  reportError(err: unknown): void;
  /** The connection closed. */
  forget(conn: Connection): void;
}

const HEAD_END = Buffer.from("\r\n\r\n");
const CONTINUE = Buffer.from("HTTP/1.1 100 Continue\r\n\r\n");
const EMPTY = Buffer.alloc(0);
/** Bytes buffered behind a request in flight (that is not reading its body) before reads are paused. */
const INPUT_CAP = 256 * 1024;

/** One TCP connection: parses requests one at a time and writes their answers with backpressure. */
export class Connection {
  readonly clientIp: string;
  /** Received bytes not consumed yet. */
  buf: Buffer | null = null;
  /** A request is in flight: parsing waits until its response is fully written. */
  busy = false;
  req: ParsedRequest | null = null;
  closed = false;
  /** Our side is closing: input is dropped. */
  ending = false;
  endedAt = 0;
  peerEnded = false;
  paused = false;
  /** When the first byte of a still incomplete head arrived; 0 when none is pending. */
  headSince = 0;
  lastActive: number;
  /** Bytes of an answered request's unread body still to skip. */
  discard = 0;
  /** Accepted over the server's connection cap: answered 503 and closing. */
  refused = false;
  private parsing = false;
  /** Bytes the socket did not take yet, then whole buffers queued behind them. */
  out: Uint8Array | null = null;
  private readonly queue: Uint8Array[] = [];
  /** Runs once `out` is empty. */
  flushed: (() => void) | null = null;
  /** The response body being streamed, cancelled when the connection closes. */
  stream: ReadableStreamDefaultReader<Uint8Array> | null = null;

  constructor(
    readonly server: ConnectionOwner,
    readonly socket: Socket<Connection>,
  ) {
    const ip = socket.remoteAddress;
    this.clientIp = ip.startsWith("::ffff:") && ip.includes(".") ? ip.slice(7) : ip;
    this.lastActive = server.now;
  }

  onData(chunk: Buffer): void {
    if (this.ending || this.closed) return;
    this.lastActive = this.server.now;
    this.buf = this.buf === null ? chunk : Buffer.concat([this.buf, chunk]);
    if (!this.busy) {
      this.parse();
      return;
    }
    const req = this.req!;
    if (req.reader !== null && !req.reader.done) feedBody(this, req, req.reader);
    else if (this.buf !== null && this.buf.length > INPUT_CAP && !this.paused) {
      this.paused = true;
      this.socket.pause();
    }
  }

  private parse(): void {
    this.parsing = true;
    const server = this.server;
    while (!this.busy && !this.ending && this.buf !== null) {
      let b: Buffer = this.buf;
      if (this.discard > 0) {
        const n = Math.min(this.discard, b.length);
        this.discard -= n;
        this.consume(n);
        continue;
      }
      if (b[0] === 13 || b[0] === 10) {
        // Empty lines before a request line are ignored (RFC 9112 2.2), but they start the header clock: a
        // client sending nothing but line breaks would otherwise hold the connection past both timeouts.
        let i = 1;
        while (i < b.length && (b[i] === 13 || b[i] === 10)) i++;
        this.consume(i);
        if (this.headSince === 0) this.headSince = server.now;
        if (this.buf === null) break;
        b = this.buf;
      }
      const end = b.indexOf(HEAD_END);
      if (end < 0 || end + 4 > server.maxHeaderBytes) {
        if (b.length > server.maxHeaderBytes || end >= 0) {
          this.refuse(new ProtocolError(431, "request header section too large"));
        } else if (this.headSince === 0) this.headSince = server.now;
        break;
      }
      const startedAt = this.headSince || server.now;
      this.headSince = 0;
      const head = (b as FastBuffer).latin1Slice(0, end + 2);
      this.consume(end + 4);
      let req: ParsedRequest;
      try {
        req = parseHead(head, this);
      } catch (err) {
        if (!(err instanceof ProtocolError)) throw err;
        this.refuse(err);
        break;
      }
      req.startedAt = startedAt;
      this.dispatch(req);
    }
    this.parsing = false;
    if (!this.busy && this.peerEnded && !this.ending) this.close(false);
  }

  consume(n: number): void {
    const b = this.buf!;
    this.buf = n >= b.length ? null : b.subarray(n);
  }

  private dispatch(req: ParsedRequest): void {
    const server = this.server;
    this.busy = true;
    this.req = req;
    server.pending++;
    this.dispatched = req;
    let out: HandlerResult;
    try {
      out = server.handler(req);
    } catch (err) {
      this.handlerFailed(req, err);
      return;
    }
    // a Deferred or a promise: both take the two callbacks
    if (typeof (out as PromiseLike<unknown>).then === "function") {
      (out as PromiseLike<Answer | Response>).then(this.answered, this.failed);
    } else this.answer(req, out as Answer | Response);
  }

  /** The request last handed to the handler. Its promise settles before anything else is dispatched (the
   * next request is parsed only once this one is answered), so one pair of callbacks per connection serves
   * every request; `answer` and `handlerFailed` see when the request was settled meanwhile. */
  private dispatched: ParsedRequest | null = null;

  private readonly answered = (res: Answer | Response): void => this.answer(this.dispatched!, res);

  private readonly failed = (err: unknown): void => this.handlerFailed(this.dispatched!, err);

  private answer(req: ParsedRequest, res: Answer | Response): void {
    if (req.answered || req.settled) {
      dropBody(res);
      return;
    }
    if (res instanceof Response) {
      fromWebResponse(res).then(
        (converted) => this.answer(req, converted),
        (err) => this.handlerFailed(req, err),
      );
      return;
    }
    try {
      send(this, req, res);
    } catch (err) {
      // Thrown before anything was written (an invalid status or header).
      dropBody(res);
      this.handlerFailed(req, err);
    }
  }

  /** The handler (or a response stream before its head left) failed: report it, answer 500 if still possible. */
  handlerFailed(req: ParsedRequest, err: unknown): void {
    if (err !== req.bodyError) this.server.reportError(err);
    // Answered already: only the server itself answers while the handler still runs (a malformed body).
    if (req.settled || req.answered) return;
    send(this, req, this.server.problem(500, "internal error"));
  }

  /** Writes or queues `data`; true when the socket took all of it. */
  write(data: Uint8Array): boolean {
    if (this.closed) return false;
    if (this.out !== null) {
      this.queue.push(data);
      return false;
    }
    const n = this.socket.write(data);
    if (n === data.byteLength) return true;
    if (n >= 0) this.out = data.subarray(n);
    return false;
  }

  onDrain(): void {
    this.lastActive = this.server.now;
    while (this.out !== null) {
      const out = this.out;
      const n = this.socket.write(out);
      if (n < 0) return;
      if (n < out.byteLength) {
        this.out = out.subarray(n);
        return;
      }
      this.out = this.queue.shift() ?? null;
    }
    const then = this.flushed;
    this.flushed = null;
    then?.();
  }

  /** The response to `req` is fully written. */
  finish(req: ParsedRequest, close: boolean): void {
    if (req.settled) return;
    this.settle(req);
    if (this.closed) return;
    if (close || this.server.stopping) {
      this.close(!req.bodyDone || this.buf !== null);
      return;
    }
    if (!req.bodyDone) {
      // Framed by Content-Length and small (see mustClose): skip the rest so it is never parsed as a request.
      this.discard = req.bodyLeft;
      req.bodyDone = true;
      req.reader?.resolve(true);
    }
    if (this.paused) {
      this.paused = false;
      this.socket.resume();
    }
    this.lastActive = this.server.now;
    if (!this.parsing) this.parse();
  }

  settle(req: ParsedRequest): void {
    if (req.settled) return;
    req.settled = true;
    this.server.pending--;
    if (this.req === req) {
      this.req = null;
      this.busy = false;
    }
  }

  startBody(req: ParsedRequest, reader: BodyReader): void {
    if (req.settled || req.answered) {
      reader.reject(new Error("the request was already answered"));
      return;
    }
    if (!req.hasBody) {
      reader.resolve(false);
      return;
    }
    if (req.contentLength > reader.limit) {
      req.overLimit = true;
      this.dropInput();
      reader.resolve(true);
      return;
    }
    if (req.expectContinue && !req.continued) {
      req.continued = true;
      this.write(CONTINUE);
    }
    if (this.paused) {
      this.paused = false;
      this.socket.resume();
    }
    feedBody(this, req, reader);
  }

  /** The body is malformed or cut short: answer 400 unless something was answered, then close. */
  badBody(req: ParsedRequest, reader: BodyReader, status: number, detail: string): void {
    // the status answered travels with the error, so the handler records that instead of a failure of its own
    const err = Object.assign(new Error(detail), { status });
    req.bodyError = err;
    this.dropInput();
    reader.reject(err);
    if (req.answered) {
      this.abort(req);
      return;
    }
    send(this, req, this.server.problem(status, detail));
  }

  /** The rest of the input will not be read: the connection closes after the current answer. */
  dropInput(): void {
    this.ending = true;
    this.buf = null;
    if (this.paused) {
      this.paused = false;
      this.socket.resume();
    }
  }

  /** Over the server's connection cap: answers 503 before any request arrives, then closes. */
  refuseFull(): void {
    // lingering: the request the client sends meanwhile is read and dropped, so the 503 is not lost to a reset
    const full = new ProtocolError(503, "the gateway is serving as many connections as it may");
    this.refuse(full, ["retry-after", "1"], true);
  }

  /** Answers a request that never reached the handler, then closes. */
  private refuse(err: ProtocolError, extra?: string[], linger = this.buf !== null): void {
    const answer = this.server.problem(err.status, err.detail);
    const body = typeof answer.body === "string" ? Buffer.from(answer.body) : EMPTY;
    let head = "HTTP/1.1 " + err.status + " " + reasonOf(err.status) + "\r\n";
    const h = answer.headers;
    for (let i = 0; i < h.length; i += 2) head += h[i] + ": " + h[i + 1] + "\r\n";
    if (extra) for (let i = 0; i < extra.length; i += 2) head += extra[i] + ": " + extra[i + 1] + "\r\n";
    head += "content-length: " + body.length + "\r\ndate: " + this.server.date + "\r\nconnection: close\r\n\r\n";
    this.dropInput();
    if (this.write(Buffer.concat([Buffer.from(head, "latin1"), body]))) this.close(linger);
    else this.flushed = () => this.close(linger);
  }

  /** Closes our side. With `linger`, the peer may still be sending: keep reading (and dropping) until it
   * closes too, so its unread data does not turn our last answer into a reset. */
  close(linger: boolean): void {
    if (this.closed || this.endedAt !== 0) return;
    this.ending = true;
    this.buf = null;
    this.endedAt = this.server.now;
    if (linger && !this.peerEnded) this.socket.shutdown();
    else this.socket.end();
  }

  /** Drops the connection after a failure mid-answer. */
  abort(req: ParsedRequest): void {
    this.settle(req);
    this.ending = true;
    this.socket.terminate();
  }

  onPeerEnd(): void {
    this.peerEnded = true;
    if (this.endedAt !== 0) {
      this.socket.end();
      return;
    }
    const req = this.req;
    if (req?.reader && !req.reader.done) {
      this.badBody(req, req.reader, 400, "the body ended early");
      return;
    }
    if (!this.busy && !this.parsing) this.parse();
  }

  onClose(): void {
    this.closed = true;
    const req = this.req;
    if (req !== null) {
      if (req.reader !== null && !req.reader.done) {
        req.bodyError = new Error("the client closed the connection");
        req.reader.reject(req.bodyError);
      }
      this.settle(req);
    }
    this.stream?.cancel().catch(noop);
    this.stream = null;
    this.out = null;
    this.queue.length = 0;
    const then = this.flushed;
    this.flushed = null;
    then?.();
    this.server.forget(this);
  }

  /** Called by the server's sweep with the current time. */
  sweep(now: number): void {
    const server = this.server;
    if (this.endedAt !== 0) {
      if (now - this.endedAt > server.lingerMs) this.socket.end();
      return;
    }
    const stalled = now - this.lastActive > server.idleTimeoutMs;
    if (this.busy) {
      // A body upload or a response write that stopped moving; a slow handler is the handler's business.
      const req = this.req!;
      const reader = req.reader;
      const reading = reader !== null && !reader.done;
      // read_timeout: a body whose bytes trickle in keeps the connection active, but not past this
      if (reading && now - req.startedAt > server.readTimeoutMs) {
        this.badBody(req, reader, 408, "the request took longer than the read timeout");
        return;
      }
      if (!stalled) return;
      if (reading) this.badBody(req, reader, 408, "the request body stopped arriving");
      else if (this.out !== null) this.abort(req);
      return;
    }
    if (this.ending) {
      if (stalled && this.out !== null) this.socket.terminate();
      return;
    }
    if (this.headSince !== 0) {
      if (now - this.headSince <= server.headerTimeoutMs) return;
      // only empty lines came (a client's stray CRLF after a body, or line breaks to keep it open): no head
      // was started, so the connection closes as an idle one would, without an answer
      if (this.buf === null) this.close(false);
      else this.refuse(new ProtocolError(408, "the request header section took too long"));
    } else if (stalled) this.close(this.discard > 0);
  }
}
