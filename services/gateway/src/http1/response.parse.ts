// An incremental HTTP/1.1 response parser for the upstream client: status line and headers, then the body
// framed by Content-Length, chunked transfer coding, or the end of the connection (RFC 9112 section 6).
// It works on the socket's chunks as they arrive: body parts up to 4 KiB are copied out of them, larger
// ones are views into the received chunks (each chunk Bun hands over is a buffer of its own).

import { ChunkedDecoder, ChunkedError } from "./chunked.ts";
import { contentLengthOf, type FastBuffer, headerName, isBlank, TOKEN } from "./fields.ts";

/** How the body of the current response is delimited. */
export enum Framing {
  None = 0,
  Length = 1,
  Chunked = 2,
  UntilClose = 3,
}

/** A response the client cannot read safely; the connection is closed. */
export class ResponseParseError extends Error {
  override readonly name = "ResponseParseError";
}

const CRLFCRLF = Buffer.from("\r\n\r\n");
const MAX_HEAD = 64 * 1024;
const MAX_HEADERS = 256;

/** Index of the CRLF ending the line that holds `from` (the head's end when none); a CR, LF or NUL
 * anywhere else in the line is refused. */
function lineEnd(text: string, from: number): number {
  for (let i = from; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c > 13 || (c !== 13 && c !== 10 && c !== 0)) continue;
    if (c === 13 && text.charCodeAt(i + 1) === 10) return i;
    throw new ResponseParseError("control character in the response head");
  }
  return text.length;
}

/** Small parts are copied out of the received chunk: a view of a fresh chunk makes the engine move the
 * chunk's bytes out of its heap first, which costs several times the copy. */
const COPY_MAX = 4096;

function part(buf: Buffer, start: number, end: number): Uint8Array {
  if (end - start > COPY_MAX) return buf.subarray(start, end);
  const out = Buffer.allocUnsafe(end - start);
  buf.copy(out, 0, start, end);
  return out;
}

/** The three status digits at offset 9, or -1. */
function statusCode(line: string): number {
  let n = 0;
  for (let i = 9; i < 12; i++) {
    const c = line.charCodeAt(i) - 48;
    if (c < 0 || c > 9) return -1;
    n = n * 10 + c;
  }
  return n;
}

/** The parsed response head: status, headers as flat lower-case name/value pairs, and reuse. */
export interface ResponseHead {
  status: number;
  /** `[name0, value0, name1, value1, ...]`, names lower-case, in arrival order (repeats kept). */
  headers: string[];
  /** The connection may carry another request after this response. */
  keepAlive: boolean;
  /** Declared Content-Length, or -1. */
  contentLength: number;
  /** Content-Encoding, lower-case, or "". */
  contentEncoding: string;
}

/** Parses one response at a time; `reset` before each request on the connection. */
export class ResponseParser {
  head: ResponseHead | null = null;
  framing: Framing = Framing.None;
  /** Body parts not yet taken by the consumer, who empties the array (it is reused from answer to answer). */
  readonly parts: Uint8Array[] = [];
  /** Body bytes seen so far (decoded from chunked framing). */
  received = 0;
  done = false;
  /** Bytes arrived after the end of the response: the connection is out of step and must close. */
  trailing = false;
  private noBody = false;
  private pending: Buffer | null = null;
  private remaining = 0;
  private readonly chunks = new ChunkedDecoder(MAX_HEAD);
  private readonly onChunk = (buf: Buffer, start: number, end: number): boolean => {
    this.push(part(buf, start, end));
    return true;
  };

  /** Prepares for the response to a new request; `noBody` for HEAD requests. */
  reset(noBody: boolean): void {
    this.head = null;
    this.framing = Framing.None;
    this.parts.length = 0;
    this.received = 0;
    this.done = false;
    this.trailing = false;
    this.noBody = noBody;
    this.pending = null;
    this.remaining = 0;
    this.chunks.reset();
  }

  /** Consumes one chunk from the socket. Throws `ResponseParseError` on a malformed response. */
  feed(data: Buffer): void {
    if (this.done) {
      if (data.length > 0) this.trailing = true;
      return;
    }
    let buf = data;
    if (this.pending) {
      buf = Buffer.concat([this.pending, data]);
      this.pending = null;
    }
    let at = 0;
    while (this.head === null) {
      const end = buf.indexOf(CRLFCRLF, at);
      if (end === -1) {
        if (buf.length - at > MAX_HEAD) throw new ResponseParseError("response head too large");
        this.pending = at === 0 ? buf : buf.subarray(at);
        return;
      }
      // the limit holds however the head arrived, in one read or dripped
      if (end - at > MAX_HEAD) throw new ResponseParseError("response head too large");
      const head = this.parseHead((buf as FastBuffer).latin1Slice(at, end));
      at = end + 4;
      // 1xx answers are interim (100 Continue, 103 Early Hints): the real one follows; 101 switches protocols,
      // which the client never asks for
      if (head.status === 101) throw new ResponseParseError("unexpected protocol switch");
      if (head.status < 200) continue;
      this.head = head;
      this.startBody(head);
    }
    if (at < buf.length) this.body(buf, at);
    else if (this.framing === Framing.None) this.done = true;
  }

  /** The connection ended: completes a body delimited by the close, else reports whether it was cut. */
  end(): boolean {
    if (this.head !== null && this.framing === Framing.UntilClose && !this.done) this.done = true;
    return this.done;
  }

  private parseHead(text: string): ResponseHead {
    const eol = lineEnd(text, 0);
    if (
      eol < 12 ||
      !text.startsWith("HTTP/1.") ||
      (text.charCodeAt(7) !== 48 && text.charCodeAt(7) !== 49) /* HTTP/1.0 or HTTP/1.1 */ ||
      text.charCodeAt(8) !== 32 ||
      (eol > 12 && text.charCodeAt(12) !== 32)
    ) {
      throw new ResponseParseError("malformed status line");
    }
    const status = statusCode(text);
    if (status < 100) throw new ResponseParseError("malformed status");
    const http10 = text.charCodeAt(7) === 48; /* 0 */
    const headers: string[] = [];
    let contentLength = -1;
    let chunked = false;
    let transferEncoding = false;
    let connection = "";
    let contentEncoding = "";
    let at = eol + 2;
    while (at < text.length) {
      // the name is a token up to the colon; the value may not hold CR, LF or NUL (RFC 9110 5.5), so a
      // bare line break from a backend can never become a header of the client's answer
      let i = at;
      let c = text.charCodeAt(i);
      // names are lower-cased one by one, and only those that hold an upper-case letter
      let upper = false;
      while (c < 128 && TOKEN[c] === 1) {
        if (c >= 65 && c <= 90) upper = true;
        c = text.charCodeAt(++i);
      }
      if (c !== 58 /* : */ || i === at) throw new ResponseParseError("malformed header line");
      const colon = i;
      const end = lineEnd(text, colon);
      let vs = colon + 1;
      let ve = end;
      while (vs < ve && isBlank(text.charCodeAt(vs))) vs++;
      while (ve > vs && isBlank(text.charCodeAt(ve - 1))) ve--;
      const name = headerName(text, at, colon, upper);
      const value = text.slice(vs, ve);
      at = end + 2;
      headers.push(name, value);
      if (headers.length > MAX_HEADERS * 2) throw new ResponseParseError("too many response headers");
      switch (name.length) {
        case 10:
          if (name === "connection") connection = value.toLowerCase();
          break;
        case 14:
          if (name === "content-length") {
            const parsed = contentLengthOf(value);
            if (typeof parsed !== "number") throw new ResponseParseError("invalid content-length");
            if (contentLength !== -1 && contentLength !== parsed) {
              throw new ResponseParseError("conflicting content-length");
            }
            contentLength = parsed;
          }
          break;
        case 16:
          if (name === "content-encoding") contentEncoding = value.toLowerCase();
          break;
        case 17:
          if (name === "transfer-encoding") {
            transferEncoding = true;
            // chunked must be the last coding, as a token of its own ("xchunked" is not it)
            chunked = /(?:^|,)[ \t]*chunked[ \t]*$/i.test(value);
          }
          break;
      }
    }
    let keepAlive = http10 ? connection.includes("keep-alive") : !connection.includes("close");
    if (transferEncoding) {
      // a response with both is a smuggling attempt or a broken server: never reuse the connection
      if (contentLength !== -1) keepAlive = false;
      contentLength = -1;
      if (!chunked) keepAlive = false;
    }
    const head: ResponseHead = { status, headers, keepAlive, contentLength, contentEncoding };
    if (chunked) this.framing = Framing.Chunked;
    else if (transferEncoding) this.framing = Framing.UntilClose;
    else if (contentLength >= 0) this.framing = Framing.Length;
    else this.framing = Framing.UntilClose;
    return head;
  }

  private startBody(head: ResponseHead): void {
    if (this.noBody || head.status === 204 || head.status === 304) {
      this.framing = Framing.None;
      this.done = true;
      return;
    }
    if (this.framing === Framing.UntilClose) head.keepAlive = false;
    if (this.framing === Framing.Length) {
      this.remaining = head.contentLength;
      if (this.remaining === 0) {
        this.framing = Framing.None;
        this.done = true;
      }
    }
  }

  private push(part: Uint8Array): void {
    this.parts.push(part);
    this.received += part.byteLength;
  }

  private body(buf: Buffer, at: number): void {
    switch (this.framing) {
      case Framing.None:
        this.trailing = true;
        return;
      case Framing.UntilClose:
        this.push(at === 0 ? buf : part(buf, at, buf.length));
        return;
      case Framing.Length: {
        const n = Math.min(this.remaining, buf.length - at);
        this.push(at === 0 && n === buf.length ? buf : part(buf, at, at + n));
        this.remaining -= n;
        if (this.remaining === 0) {
          this.done = true;
          if (at + n < buf.length) this.trailing = true;
        }
        return;
      }
      case Framing.Chunked:
        this.chunked(buf, at);
    }
  }

  private chunked(buf: Buffer, start: number): void {
    let at: number;
    try {
      at = this.chunks.feed(buf, start, this.onChunk);
    } catch (err) {
      if (err instanceof ChunkedError) throw new ResponseParseError(err.message);
      throw err;
    }
    if (this.chunks.done) {
      this.done = true;
      if (at < buf.length) this.trailing = true;
    } else if (at < buf.length) this.pending = buf.subarray(at);
  }
}
