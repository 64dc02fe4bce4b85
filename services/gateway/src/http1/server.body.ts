// Request bodies: the state of one `readBody` call, and moving received bytes into it, either counted down by
// Content-Length or de-chunked (chunk sizes, chunk ends, trailers), strictly, as with the head.

import { ChunkedDecoder, ChunkedError } from "./chunked.ts";

/** A callback that ignores what it is given (a cancelled stream's or an unawaited promise's failure). */
export const noop = () => {};

/** How a request's body is framed, and how much of it the connection has taken. */
export interface BodyFraming {
  readonly chunked: boolean;
  /** Body bytes (Content-Length framing) not taken from the socket yet. */
  bodyLeft: number;
  bodyDone: boolean;
  overLimit: boolean;
}

/** The connection as `feedBody` uses it: received bytes, and what to do when the body cannot be read. */
export interface BodyInput {
  buf: Buffer | null;
  readonly peerEnded: boolean;
  readonly server: { readonly maxHeaderBytes: number };
  consume(n: number): void;
  /** The rest of the input will not be read. */
  dropInput(): void;
  /** The body is malformed or cut short: answer `status` and close. */
  badBody(req: BodyFraming, reader: BodyReader, status: number, detail: string): void;
}

/** The state of one `readBody` call. */
export class BodyReader {
  readonly parts: Uint8Array[] = [];
  total = 0;
  done = false;
  /** Set by `feedBody` for a chunked body. */
  chunks: ChunkedDecoder | null = null;
  readonly promise: Promise<Uint8Array | null>;
  private resolveFn!: (b: Uint8Array | null) => void;
  private rejectFn!: (e: Error) => void;

  constructor(readonly limit: number) {
    this.promise = new Promise((resolve, reject) => {
      this.resolveFn = resolve;
      this.rejectFn = reject;
    });
    // A handler that answered without awaiting its body must not turn a late failure into an unhandled rejection.
    this.promise.catch(noop);
  }

  add(part: Uint8Array): boolean {
    this.total += part.byteLength;
    if (this.total > this.limit) return false;
    this.parts.push(part);
    return true;
  }

  resolve(overLimit: boolean): void {
    if (this.done) return;
    this.done = true;
    const p = this.parts;
    this.resolveFn(overLimit ? null : p.length === 1 ? p[0]! : Buffer.concat(p, this.total));
    this.parts.length = 0;
  }

  reject(err: Error): void {
    if (this.done) return;
    this.done = true;
    this.rejectFn(err);
  }
}

/** Moves received body bytes into `reader`. */
export function feedBody(conn: BodyInput, req: BodyFraming, reader: BodyReader): void {
  while (conn.buf !== null && !reader.done) {
    const b = conn.buf;
    if (!req.chunked) {
      const n = Math.min(req.bodyLeft, b.length);
      req.bodyLeft -= n;
      conn.consume(n);
      if (!reader.add(n === b.length ? b : b.subarray(0, n))) {
        overLimit(conn, req, reader);
        return;
      }
      if (req.bodyLeft === 0) {
        req.bodyDone = true;
        reader.resolve(false);
      }
      continue;
    }
    if (reader.chunks === null) reader.chunks = new ChunkedDecoder(conn.server.maxHeaderBytes);
    const chunks = reader.chunks;
    let over = false;
    let used: number;
    try {
      used = chunks.feed(b, 0, (buf, start, end) => {
        over = !reader.add(start === 0 && end === buf.length ? buf : buf.subarray(start, end));
        return !over;
      });
    } catch (err) {
      if (!(err instanceof ChunkedError)) throw err;
      conn.badBody(req, reader, 400, err.message);
      return;
    }
    conn.consume(used);
    if (over) {
      overLimit(conn, req, reader);
      return;
    }
    if (chunks.done) {
      req.bodyDone = true;
      reader.resolve(false);
    }
    // what is left is a line or chunk end that has not fully arrived
    if (used < b.length) break;
  }
  if (!reader.done && conn.peerEnded) conn.badBody(req, reader, 400, "the body ended early");
}

function overLimit(conn: BodyInput, req: BodyFraming, reader: BodyReader): void {
  req.overLimit = true;
  conn.dropInput();
  reader.resolve(true);
}
