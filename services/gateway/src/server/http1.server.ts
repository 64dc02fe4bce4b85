// The gateway's own HTTP/1.1 server on raw TCP (`Bun.listen`). Bun.serve spends ~5-7 µs per request before
// any gateway code runs, a floor that alone keeps the gateway under its throughput target (0.75 of nginx as
// a reverse proxy); a tight parser in JS over `Bun.listen` costs less, so the hot path lives here.
// Parsing is strict (RFC 9112; anything ambiguous about message framing is refused) to rule out smuggling.

import type { Socket, TCPSocketListener } from "bun";

/** Request headers as received: names lower-cased, values trimmed; repeated names kept in order. */
export interface RequestHeaders {
  /** First value of a header (lower-case name), or null. Repeated headers other than set-cookie/cookie are joined with ", " as in the Fetch Headers class; cookie joined with "; ". */
  get(name: string): string | null;
  has(name: string): boolean;
  /** Flat [name, value, name, value, ...] pairs as received (names lower-cased). */
  readonly pairs: readonly string[];
}

/** One parsed request. */
export interface IncomingRequest {
  /** As sent, e.g. "GET" (methods are case-sensitive tokens). */
  method: string;
  /** The request-target in origin form, e.g. "/a/b?x=1" (an absolute-form target is reduced to its path and query). */
  target: string;
  /** Target up to '?', still percent-encoded. */
  path: string;
  /** After '?', without it; "" when none. */
  query: string;
  headers: RequestHeaders;
  /** Peer address; an IPv4-mapped IPv6 "::ffff:1.2.3.4" is given as "1.2.3.4". */
  clientIp: string;
  httpVersion: "1.0" | "1.1";
  /** true when the request has a body (content-length > 0 or chunked). */
  hasBody: boolean;
  /** content-length when declared, else -1 (chunked); 0 when no body. */
  contentLength: number;
  /** Reads the whole body (de-chunked); null when it exceeds `limit` bytes, and the connection is then closed
   * after the handler's answer. The same promise on every call. Sends "100 Continue" first when the client
   * asked for it and nothing was answered yet. Rejects when the body is malformed (the server has then answered
   * 400 itself) or the client goes away. */
  readBody(limit: number): Promise<Uint8Array | null>;
}

/** What a handler answers. `headers` are flat [name, value, ...] pairs; the server adds content-length (or
 * transfer-encoding: chunked for streams), date (unless given), and connection: close when it closes. The
 * handler must not set content-length / transfer-encoding / connection itself, except that a content-length
 * given by the handler is kept for HEAD answers with a null body. */
export interface OutgoingResponse {
  status: number;
  headers: string[];
  body: Uint8Array | string | ReadableStream<Uint8Array> | null;
}

export type Http1Handler = (req: IncomingRequest) => OutgoingResponse | Response | Promise<OutgoingResponse | Response>;

export interface Http1ServerOptions {
  /** 0 = pick a free port. */
  port: number;
  /** Default "0.0.0.0". */
  hostname?: string;
  handler: Http1Handler;
  /** Request line + headers, bytes (default 16 KiB) -> 431 when exceeded. */
  maxHeaderBytes?: number;
  /** Max number of header lines (default 100) -> 431. */
  maxHeaders?: number;
  /** Keep-alive idle timeout (default 30_000 ms); also how long a body upload or a response write may stall. */
  idleTimeoutMs?: number;
  /** Time to receive a complete header section once its first byte arrived (default 10_000 ms; slowloris). */
  headerTimeoutMs?: number;
  /** Called when a handler throws/rejects or a response stream errors (the server answers 500 if nothing was
   * sent yet, else closes the connection). */
  onError?: (err: unknown) => void;
}

export interface Http1Server {
  readonly port: number;
  readonly hostname: string;
  /** Requests being handled right now. */
  readonly pendingRequests: number;
  /** Stops accepting. force=false: idle keep-alive connections are closed at once, busy ones after their current
   * response (answered with connection: close); resolves when all connections are closed. force=true: closes
   * every connection now. */
  stop(force?: boolean): Promise<void>;
}

/**
 * Starts an HTTP/1.1 server on `Bun.listen`.
 * @example
 * const server = listenHttp1({ port: 8080, handler: () => ({ status: 200, headers: [], body: "ok" }) });
 * await server.stop();
 */
export function listenHttp1(opts: Http1ServerOptions): Http1Server {
  return new Http1Listener(opts);
}

/** Node's Buffer methods that Bun implements but its types omit: the cheapest latin1/utf8 conversions. */
interface FastBuffer extends Buffer {
  latin1Slice(start: number, end: number): string;
  latin1Write(text: string, offset: number): number;
  utf8Write(text: string, offset: number): number;
}

const HEAD_END = Buffer.from("\r\n\r\n");
const LAST_CHUNK = Buffer.from("0\r\n\r\n");
const CONTINUE = Buffer.from("HTTP/1.1 100 Continue\r\n\r\n");
/** An unread Content-Length body up to this size is skipped so the connection can be kept. */
const DISCARD_MAX = 64 * 1024;
/** Bytes buffered behind a request in flight (that is not reading its body) before reads are paused. */
const INPUT_CAP = 256 * 1024;
/** Bodies up to this size leave in the same write as the head; larger ones are not copied. */
const COALESCE_MAX = 64 * 1024;
const CHUNK_LINE_MAX = 4096;
/** After closing our side with unread input pending, how long the peer gets to stop sending and close. */
const LINGER_MAX_MS = 5_000;
const noop = () => {};

/** tchar (RFC 9110 5.6.2) by char code. */
const TOKEN = (() => {
  const t = new Uint8Array(128);
  for (const c of "!#$%&'*+-.^_`|~0123456789") t[c.charCodeAt(0)] = 1;
  for (let c = 65; c <= 90; c++) t[c] = t[c + 32] = 1;
  return t;
})();

const REASONS: Record<number, string> = {
  100: "Continue",
  101: "Switching Protocols",
  103: "Early Hints",
  200: "OK",
  201: "Created",
  202: "Accepted",
  203: "Non-Authoritative Information",
  204: "No Content",
  205: "Reset Content",
  206: "Partial Content",
  207: "Multi-Status",
  300: "Multiple Choices",
  301: "Moved Permanently",
  302: "Found",
  303: "See Other",
  304: "Not Modified",
  307: "Temporary Redirect",
  308: "Permanent Redirect",
  400: "Bad Request",
  401: "Unauthorized",
  402: "Payment Required",
  403: "Forbidden",
  404: "Not Found",
  405: "Method Not Allowed",
  406: "Not Acceptable",
  407: "Proxy Authentication Required",
  408: "Request Timeout",
  409: "Conflict",
  410: "Gone",
  411: "Length Required",
  412: "Precondition Failed",
  413: "Content Too Large",
  414: "URI Too Long",
  415: "Unsupported Media Type",
  416: "Range Not Satisfiable",
  417: "Expectation Failed",
  421: "Misdirected Request",
  422: "Unprocessable Content",
  425: "Too Early",
  426: "Upgrade Required",
  428: "Precondition Required",
  429: "Too Many Requests",
  431: "Request Header Fields Too Large",
  451: "Unavailable For Legal Reasons",
  500: "Internal Server Error",
  501: "Not Implemented",
  502: "Bad Gateway",
  503: "Service Unavailable",
  504: "Gateway Timeout",
  505: "HTTP Version Not Supported",
  507: "Insufficient Storage",
  511: "Network Authentication Required",
};

const reasonOf = (status: number) => REASONS[status] ?? "Unknown";

function isToken(s: string): boolean {
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c > 127 || TOKEN[c] !== 1) return false;
  }
  return s.length > 0;
}

const isBlank = (c: number) => c === 32 || c === 9;

/** A CR or LF in a response header would split it; short strings are scanned inline (cheaper than two calls). */
function hasLineBreak(s: string): boolean {
  if (s.length > 64) return s.indexOf("\n") !== -1 || s.indexOf("\r") !== -1;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c === 10 || c === 13) return true;
  }
  return false;
}

/** A request the server refuses before any handler sees it. */
class ProtocolError {
  constructor(
    readonly status: number,
    readonly detail: string,
  ) {}
}

function problemJson(status: number, detail: string): string {
  return JSON.stringify({ type: "about:blank", title: reasonOf(status), status, detail });
}

class ReceivedHeaders implements RequestHeaders {
  constructor(readonly pairs: string[]) {}

  get(name: string): string | null {
    const key = name.toLowerCase();
    const p = this.pairs;
    let found: string | null = null;
    for (let i = 0; i < p.length; i += 2) {
      if (p[i] !== key) continue;
      if (found === null) found = p[i + 1]!;
      else if (key === "set-cookie") break;
      else found += (key === "cookie" ? "; " : ", ") + p[i + 1]!;
    }
    return found;
  }

  has(name: string): boolean {
    const key = name.toLowerCase();
    const p = this.pairs;
    for (let i = 0; i < p.length; i += 2) if (p[i] === key) return true;
    return false;
  }
}

enum Chunk {
  Size = 0,
  Data = 1,
  DataEnd = 2,
  Trailers = 3,
}

/** The state of one `readBody` call. */
class BodyReader {
  readonly parts: Uint8Array[] = [];
  total = 0;
  done = false;
  chunk = Chunk.Size;
  /** Bytes left in the current chunk. */
  chunkLeft = 0;
  trailerBytes = 0;
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

class ParsedRequest implements IncomingRequest {
  path: string;
  query: string;
  hasBody: boolean;
  /** Body bytes (Content-Length framing) not taken from the socket yet. */
  bodyLeft: number;
  bodyDone: boolean;
  reader: BodyReader | null = null;
  /** Why readBody failed, so the handler's resulting error is not reported as its own. */
  bodyError: Error | null = null;
  overLimit = false;
  continued = false;
  /** The final response head was written (by the handler's answer or by the server). */
  answered = false;
  /** Done with: answered completely, or the connection is gone. */
  settled = false;

  constructor(
    private readonly conn: Connection,
    public method: string,
    public target: string,
    public headers: ReceivedHeaders,
    public clientIp: string,
    public httpVersion: "1.0" | "1.1",
    public contentLength: number,
    readonly chunked: boolean,
    readonly keepAlive: boolean,
    readonly expectContinue: boolean,
  ) {
    const q = target.indexOf("?");
    this.path = q < 0 ? target : target.slice(0, q);
    this.query = q < 0 ? "" : target.slice(q + 1);
    this.hasBody = chunked || contentLength > 0;
    this.bodyLeft = chunked ? 0 : contentLength;
    this.bodyDone = !this.hasBody;
  }

  readBody(limit: number): Promise<Uint8Array | null> {
    if (this.reader !== null) return this.reader.promise;
    this.reader = new BodyReader(limit);
    this.conn.startBody(this, this.reader);
    return this.reader.promise;
  }
}

function parseContentLength(value: string): number {
  // "5, 5" is a list of one value repeated (RFC 9110 8.6); anything else with a comma is a conflict.
  let n = -1;
  for (const part of value.includes(",") ? value.split(",") : [value]) {
    const v = part.trim();
    if (v.length === 0 || v.length > 15) throw new ProtocolError(400, "invalid Content-Length");
    for (let i = 0; i < v.length; i++) {
      const c = v.charCodeAt(i);
      if (c < 48 || c > 57) throw new ProtocolError(400, "invalid Content-Length");
    }
    const m = Number(v);
    if (n !== -1 && m !== n) throw new ProtocolError(400, "conflicting Content-Length values");
    n = m;
  }
  return n;
}

function checkTransferEncoding(value: string): void {
  if (value.toLowerCase() === "chunked") return;
  const codings = value.split(",").map((c) => c.trim().toLowerCase());
  if (codings.some((c) => !isToken(c)) || codings.every((c) => c === "chunked")) {
    throw new ProtocolError(400, "invalid Transfer-Encoding");
  }
  throw new ProtocolError(501, "only the chunked transfer coding is supported");
}

/** Index of the CR ending the line that starts at `pos`; a lone CR or LF is refused. */
function lineEnd(head: string, pos: number): number {
  const cr = head.indexOf("\r", pos);
  if (head.charCodeAt(cr + 1) !== 10) throw new ProtocolError(400, "bare CR in the request head");
  if (head.indexOf("\n", pos) !== cr + 1) throw new ProtocolError(400, "bare LF in the request head");
  return cr;
}

function headerNameProblem(c: number, empty: boolean): string {
  if (c === 13) return "header line without a colon";
  if (empty) return "empty header name";
  return c === 32 || c === 9 ? "whitespace before the colon" : "invalid header name";
}

function originForm(method: string, target: string): string {
  const c = target.charCodeAt(0);
  let form = target;
  if (c !== 47 /* / */) {
    if (target === "*" && method === "OPTIONS") return target;
    const lower = target.slice(0, 8).toLowerCase();
    const scheme = lower.startsWith("http://") ? 7 : lower.startsWith("https://") ? 8 : -1;
    if (scheme < 0) throw new ProtocolError(400, "invalid request target");
    const slash = target.indexOf("/", scheme);
    const q = target.indexOf("?", scheme);
    const start = slash < 0 || (q >= 0 && q < slash) ? q : slash;
    if (start === scheme) throw new ProtocolError(400, "invalid request target");
    form = start < 0 ? "/" : start === q ? "/" + target.slice(q) : target.slice(start);
  }
  for (let i = 0; i < form.length; i++) {
    const ch = form.charCodeAt(i);
    if (ch <= 32 || ch === 127) throw new ProtocolError(400, "invalid character in the request target");
  }
  return form;
}

/** Parses a complete request head (`head` ends with the CRLF of its last line). */
function parseHead(head: string, conn: Connection): ParsedRequest {
  const end = lineEnd(head, 0);
  const sp1 = head.indexOf(" ");
  const sp2 = sp1 < 0 || sp1 > end ? -1 : head.indexOf(" ", sp1 + 1);
  if (sp2 < 0 || sp2 > end) throw new ProtocolError(400, "malformed request line");
  const method = head.slice(0, sp1);
  const rawTarget = head.slice(sp1 + 1, sp2);
  const version = head.slice(sp2 + 1, end);
  let httpVersion: "1.0" | "1.1";
  if (version === "HTTP/1.1") httpVersion = "1.1";
  else if (version === "HTTP/1.0") httpVersion = "1.0";
  else if (/^HTTP\/\d\.\d$/.test(version)) throw new ProtocolError(505, `${version} is not supported`);
  else throw new ProtocolError(400, "malformed request line");
  if (!isToken(method)) throw new ProtocolError(400, "invalid method");
  if (rawTarget.length === 0) throw new ProtocolError(400, "malformed request line");
  const target = originForm(method, rawTarget);

  const server = conn.server;
  // One lower-casing of the whole head is much cheaper than one per header name.
  const lower = head.toLowerCase();
  const pairs: string[] = [];
  let hosts = 0;
  let contentLength = -1;
  let te: string | null = null;
  let connClose = false;
  let connKeepAlive = false;
  let expectContinue = false;
  let count = 0;
  for (let pos = end + 2; pos < head.length; ) {
    if (++count > server.maxHeaders) throw new ProtocolError(431, "too many header fields");
    // One pass per line: the name must be a token up to the colon, the value free of control characters
    // but HTAB up to the CR (the head ends with CRLF, so both loops stop).
    let i = pos;
    let c = head.charCodeAt(i);
    if (c === 32 || c === 9) throw new ProtocolError(400, "obsolete line folding");
    while (c < 128 && TOKEN[c] === 1) c = head.charCodeAt(++i);
    if (c !== 58 /* : */ || i === pos) throw new ProtocolError(400, headerNameProblem(c, i === pos));
    const colon = i;
    c = head.charCodeAt(++i);
    while (c !== 13) {
      if ((c < 32 && c !== 9) || c === 127) throw new ProtocolError(400, "control character in a header value");
      c = head.charCodeAt(++i);
    }
    if (head.charCodeAt(i + 1) !== 10) throw new ProtocolError(400, "bare CR in the request head");
    const cr = i;
    const key = lower.slice(pos, colon);
    let vs = colon + 1;
    let ve = cr;
    while (vs < ve && isBlank(head.charCodeAt(vs))) vs++;
    while (ve > vs && isBlank(head.charCodeAt(ve - 1))) ve--;
    const value = head.slice(vs, ve);
    pairs.push(key, value);
    pos = cr + 2;
    switch (key.length) {
      case 4:
        if (key === "host") hosts++;
        break;
      case 6:
        if (key === "expect" && value.toLowerCase() === "100-continue") expectContinue = true;
        break;
      case 10:
        if (key === "connection") {
          const v = value.toLowerCase();
          if (v === "keep-alive") connKeepAlive = true;
          else if (v === "close") connClose = true;
          else
            for (const token of v.split(",")) {
              const t = token.trim();
              if (t === "close") connClose = true;
              else if (t === "keep-alive") connKeepAlive = true;
            }
        }
        break;
      case 14:
        if (key === "content-length") {
          const n = parseContentLength(value);
          if (contentLength !== -1 && n !== contentLength) {
            throw new ProtocolError(400, "conflicting Content-Length values");
          }
          contentLength = n;
        }
        break;
      case 17:
        if (key === "transfer-encoding") te = te === null ? value : `${te}, ${value}`;
        break;
    }
  }
  if (hosts > 1) throw new ProtocolError(400, "several Host headers");
  if (hosts === 0 && httpVersion === "1.1") throw new ProtocolError(400, "missing Host header");
  if (te !== null) {
    if (contentLength !== -1) throw new ProtocolError(400, "both Content-Length and Transfer-Encoding");
    if (httpVersion === "1.0") throw new ProtocolError(400, "Transfer-Encoding in an HTTP/1.0 request");
    checkTransferEncoding(te);
  }
  const keepAlive = !connClose && (httpVersion === "1.1" || connKeepAlive);
  return new ParsedRequest(
    conn,
    method,
    target,
    new ReceivedHeaders(pairs),
    conn.clientIp,
    httpVersion,
    te !== null ? -1 : Math.max(contentLength, 0),
    te !== null,
    keepAlive,
    expectContinue && httpVersion === "1.1",
  );
}

function frameChunk(data: Uint8Array): Buffer {
  const size = data.byteLength.toString(16);
  const out = Buffer.allocUnsafe(size.length + 4 + data.byteLength) as FastBuffer;
  out.latin1Write(`${size}\r\n`, 0);
  out.set(data, size.length + 2);
  out[out.length - 2] = 13;
  out[out.length - 1] = 10;
  return out;
}

function withHead(head: string | null, data: Uint8Array): Uint8Array {
  if (head === null) return data;
  const out = Buffer.allocUnsafe(head.length + data.byteLength) as FastBuffer;
  out.latin1Write(head, 0);
  out.set(data, head.length);
  return out;
}

const HOP_BY_HOP = new Set(["content-length", "transfer-encoding", "connection", "keep-alive"]);

/** A Web Response (operational routes) as an OutgoingResponse: a declared length is read whole, else streamed. */
async function fromWebResponse(res: Response): Promise<OutgoingResponse> {
  const headers: string[] = [];
  for (const [name, value] of res.headers) {
    if (!HOP_BY_HOP.has(name) && name !== "set-cookie") headers.push(name, value);
  }
  for (const cookie of res.headers.getSetCookie()) headers.push("set-cookie", cookie);
  let body: OutgoingResponse["body"] = null;
  if (res.body !== null) {
    body = res.headers.has("content-length") ? new Uint8Array(await res.arrayBuffer()) : res.body;
  }
  return { status: res.status, headers, body };
}

function dropBody(res: OutgoingResponse | Response): void {
  const body = res.body;
  if (body instanceof ReadableStream) body.cancel().catch(noop);
}

/** One TCP connection: parses requests one at a time and writes their answers with backpressure. */
class Connection {
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
  private parsing = false;
  /** Bytes the socket did not take yet, then whole buffers queued behind them. */
  private out: Uint8Array | null = null;
  private readonly queue: Uint8Array[] = [];
  /** Runs once `out` is empty. */
  private flushed: (() => void) | null = null;
  private stream: ReadableStreamDefaultReader<Uint8Array> | null = null;

  constructor(
    readonly server: Http1Listener,
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
    if (req.reader !== null && !req.reader.done) this.feedBody(req, req.reader);
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
        // Empty lines before a request line are ignored (RFC 9112 2.2).
        let i = 1;
        while (i < b.length && (b[i] === 13 || b[i] === 10)) i++;
        this.consume(i);
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
      this.dispatch(req);
    }
    this.parsing = false;
    if (!this.busy && this.peerEnded && !this.ending) this.close(false);
  }

  private consume(n: number): void {
    const b = this.buf!;
    this.buf = n >= b.length ? null : b.subarray(n);
  }

  private dispatch(req: ParsedRequest): void {
    const server = this.server;
    this.busy = true;
    this.req = req;
    server.pending++;
    let out: ReturnType<Http1Handler>;
    try {
      out = server.handler(req);
    } catch (err) {
      this.handlerFailed(req, err);
      return;
    }
    if (typeof (out as Promise<unknown>).then === "function") {
      (out as Promise<OutgoingResponse | Response>).then(
        (res) => this.answer(req, res),
        (err) => this.handlerFailed(req, err),
      );
    } else this.answer(req, out as OutgoingResponse | Response);
  }

  private answer(req: ParsedRequest, res: OutgoingResponse | Response): void {
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
      this.send(req, res);
    } catch (err) {
      // Thrown before anything was written (an invalid status or header).
      dropBody(res);
      this.handlerFailed(req, err);
    }
  }

  private handlerFailed(req: ParsedRequest, err: unknown): void {
    if (err !== req.bodyError) this.server.reportError(err);
    // Answered already: only the server itself answers while the handler still runs (a malformed body).
    if (req.settled || req.answered) return;
    this.send(req, {
      status: 500,
      headers: ["content-type", "application/problem+json"],
      body: problemJson(500, "internal error"),
    });
  }

  /** Writes the answer to `req`; throws (before writing anything) on an invalid status or header. */
  private send(req: ParsedRequest, res: OutgoingResponse): void {
    const status = res.status;
    if (!Number.isInteger(status) || status < 100 || status > 999) throw new Error(`invalid status ${status}`);
    const bodyless = status < 200 || status === 204 || status === 304;
    const isHead = req.method === "HEAD";
    let head = "HTTP/1.1 " + status + " " + reasonOf(status) + "\r\n";
    let declared: string | null = null;
    let hasDate = false;
    const h = res.headers;
    for (let i = 0; i < h.length; i += 2) {
      const name = h[i]!;
      const value = h[i + 1]!;
      if (hasLineBreak(name) || hasLineBreak(value)) throw new Error(`line break in response header ${name}`);
      const n = name.length;
      if (n === 4) {
        if (name.toLowerCase() === "date") hasDate = true;
      } else if (n === 10 || n === 14 || n === 17) {
        const key = name.toLowerCase();
        if (key === "content-length") {
          declared = value;
          continue;
        }
        if (key === "connection" || key === "transfer-encoding") continue;
      }
      head += name + ": " + value + "\r\n";
    }
    if (!hasDate) head += "date: " + this.server.date + "\r\n";
    let close = this.mustClose(req);
    const body = res.body;
    let text: string | null = null;
    let bytes: Uint8Array | null = null;
    let stream: ReadableStream<Uint8Array> | null = null;
    let length = 0;
    if (body instanceof ReadableStream) {
      if (bodyless || isHead) body.cancel().catch(noop);
      else stream = body;
      if (!bodyless && req.httpVersion === "1.1") head += "transfer-encoding: chunked\r\n";
      else if (stream !== null) close = true;
    } else if (!bodyless) {
      if (body === null) {
        const n = isHead && declared !== null ? Number(declared) : 0;
        length = Number.isSafeInteger(n) && n > 0 ? n : 0;
      } else if (typeof body === "string") {
        text = body;
        length = Buffer.byteLength(body);
      } else {
        bytes = body;
        length = body.byteLength;
      }
      head += "content-length: " + length + "\r\n";
    }
    if (close) head += "connection: close\r\n\r\n";
    else head += req.httpVersion === "1.0" ? "connection: keep-alive\r\n\r\n" : "\r\n";
    req.answered = true;

    if (stream !== null) {
      this.pump(req, head, stream.getReader(), req.httpVersion === "1.1", close);
      return;
    }
    const bodyLen = isHead || bodyless || (text === null && bytes === null) ? 0 : length;
    let done: boolean;
    if (bodyLen <= COALESCE_MAX) {
      const out = Buffer.allocUnsafe(head.length + bodyLen) as FastBuffer;
      out.latin1Write(head, 0);
      if (bodyLen > 0) {
        if (text !== null) out.utf8Write(text, head.length);
        else out.set(bytes!, head.length);
      }
      done = this.write(out);
    } else {
      this.write(Buffer.from(head, "latin1"));
      done = this.write(text !== null ? Buffer.from(text) : bytes!);
    }
    if (done) this.finish(req, close);
    else this.flushed = () => this.finish(req, close);
  }

  private mustClose(req: ParsedRequest): boolean {
    if (!req.keepAlive || this.server.stopping || this.ending) return true;
    if (req.bodyDone) return false;
    if (req.chunked || req.overLimit || (req.expectContinue && !req.continued)) return true;
    return req.bodyLeft > DISCARD_MAX;
  }

  /** Streams a body; the head leaves with the first chunk, so a stream failing before it still gets a 500. */
  private async pump(
    req: ParsedRequest,
    head: string | null,
    reader: ReadableStreamDefaultReader<Uint8Array>,
    chunked: boolean,
    close: boolean,
  ): Promise<void> {
    this.stream = reader;
    try {
      for (;;) {
        const { done, value } = await reader.read();
        if (this.closed) break;
        if (done) {
          this.stream = null;
          if (head !== null) this.write(Buffer.from(head, "latin1"));
          if (chunked) this.write(LAST_CHUNK);
          if (this.out === null) this.finish(req, close);
          else this.flushed = () => this.finish(req, close);
          return;
        }
        const data: Uint8Array = typeof value === "string" ? Buffer.from(value) : value;
        if (data.byteLength === 0) continue;
        const frame = withHead(head, chunked ? frameChunk(data) : data);
        head = null;
        if (!this.write(frame)) {
          await new Promise<void>((resolve) => {
            this.flushed = resolve;
          });
          if (this.closed) break;
        }
      }
      reader.cancel().catch(noop);
      this.settle(req);
    } catch (err) {
      this.stream = null;
      reader.cancel().catch(noop);
      if (head !== null && !this.closed) {
        req.answered = false;
        this.handlerFailed(req, err);
      } else {
        this.server.reportError(err);
        this.abort(req);
      }
    }
  }

  /** Writes or queues `data`; true when the socket took all of it. */
  private write(data: Uint8Array): boolean {
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
  private finish(req: ParsedRequest, close: boolean): void {
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

  private settle(req: ParsedRequest): void {
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
    this.feedBody(req, reader);
  }

  /** Moves received body bytes into `reader`. */
  private feedBody(req: ParsedRequest, reader: BodyReader): void {
    while (this.buf !== null && !reader.done) {
      const b = this.buf;
      if (!req.chunked) {
        const n = Math.min(req.bodyLeft, b.length);
        req.bodyLeft -= n;
        this.consume(n);
        if (!reader.add(n === b.length ? b : b.subarray(0, n))) {
          this.overLimit(req, reader);
          return;
        }
        if (req.bodyLeft === 0) {
          req.bodyDone = true;
          reader.resolve(false);
        }
        continue;
      }
      if (reader.chunk === Chunk.Data) {
        const n = Math.min(reader.chunkLeft, b.length);
        reader.chunkLeft -= n;
        this.consume(n);
        if (!reader.add(n === b.length ? b : b.subarray(0, n))) {
          this.overLimit(req, reader);
          return;
        }
        if (reader.chunkLeft === 0) reader.chunk = Chunk.DataEnd;
        continue;
      }
      if (reader.chunk === Chunk.DataEnd) {
        if (b[0] !== 13 || (b.length > 1 && b[1] !== 10)) {
          this.badBody(req, reader, 400, "malformed chunk");
          return;
        }
        if (b.length < 2) break;
        this.consume(2);
        reader.chunk = Chunk.Size;
        continue;
      }
      const lf = b.indexOf(10);
      if (lf < 0) {
        if (b.length > CHUNK_LINE_MAX) {
          this.badBody(req, reader, 400, "chunk line too long");
          return;
        }
        break;
      }
      if (lf === 0 || b[lf - 1] !== 13) {
        this.badBody(req, reader, 400, "malformed chunk line");
        return;
      }
      const line = (b as FastBuffer).latin1Slice(0, lf - 1);
      this.consume(lf + 1);
      if (reader.chunk === Chunk.Trailers) {
        reader.trailerBytes += lf + 1;
        if (line.length === 0) {
          req.bodyDone = true;
          reader.resolve(false);
        } else if (reader.trailerBytes > this.server.maxHeaderBytes || line.includes("\r")) {
          this.badBody(req, reader, 400, "malformed trailer section");
          return;
        }
        continue;
      }
      const size = parseChunkSize(line);
      if (size < 0) {
        this.badBody(req, reader, 400, "malformed chunk size");
        return;
      }
      if (size === 0) reader.chunk = Chunk.Trailers;
      else {
        reader.chunk = Chunk.Data;
        reader.chunkLeft = size;
      }
    }
    if (!reader.done && this.peerEnded) this.badBody(req, reader, 400, "the body ended early");
  }

  private overLimit(req: ParsedRequest, reader: BodyReader): void {
    req.overLimit = true;
    this.dropInput();
    reader.resolve(true);
  }

  /** The body is malformed or cut short: answer 400 unless something was answered, then close. */
  private badBody(req: ParsedRequest, reader: BodyReader, status: number, detail: string): void {
    const err = new Error(detail);
    req.bodyError = err;
    this.dropInput();
    reader.reject(err);
    if (req.answered) {
      this.abort(req);
      return;
    }
    this.send(req, {
      status,
      headers: ["content-type", "application/problem+json"],
      body: problemJson(status, detail),
    });
  }

  /** The rest of the input will not be read: the connection closes after the current answer. */
  private dropInput(): void {
    this.ending = true;
    this.buf = null;
    if (this.paused) {
      this.paused = false;
      this.socket.resume();
    }
  }

  /** Answers a request that never reached the handler, then closes. */
  private refuse(err: ProtocolError): void {
    const body = problemJson(err.status, err.detail);
    const text =
      "HTTP/1.1 " +
      err.status +
      " " +
      reasonOf(err.status) +
      "\r\ncontent-type: application/problem+json\r\ncontent-length: " +
      body.length +
      "\r\ndate: " +
      this.server.date +
      "\r\nconnection: close\r\n\r\n" +
      body;
    const hadInput = this.buf !== null;
    this.dropInput();
    if (this.write(Buffer.from(text, "latin1"))) this.close(hadInput);
    else this.flushed = () => this.close(hadInput);
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
  private abort(req: ParsedRequest): void {
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
      if (!stalled) return;
      if (reader !== null && !reader.done) this.badBody(req, reader, 408, "the request body stopped arriving");
      else if (this.out !== null) this.abort(req);
      return;
    }
    if (this.ending) {
      if (stalled && this.out !== null) this.socket.terminate();
      return;
    }
    if (this.headSince !== 0) {
      if (now - this.headSince > server.headerTimeoutMs) {
        this.refuse(new ProtocolError(408, "the request header section took too long"));
      }
    } else if (stalled) this.close(this.discard > 0);
  }
}

/** Hex chunk size (with optional extensions after ';'), or -1 when malformed. */
function parseChunkSize(line: string): number {
  let i = 0;
  let size = 0;
  for (; i < line.length; i++) {
    const c = line.charCodeAt(i);
    const d = c >= 48 && c <= 57 ? c - 48 : c >= 97 && c <= 102 ? c - 87 : c >= 65 && c <= 70 ? c - 55 : -1;
    if (d < 0) break;
    if (i >= 12) return -1;
    size = size * 16 + d;
  }
  if (i === 0) return -1;
  while (i < line.length && (line.charCodeAt(i) === 32 || line.charCodeAt(i) === 9)) i++;
  if (i < line.length && line.charCodeAt(i) !== 59 /* ; */) return -1;
  if (line.includes("\r") || line.includes("\0")) return -1;
  return size;
}

class Http1Listener implements Http1Server {
  readonly hostname: string;
  readonly handler: Http1Handler;
  readonly maxHeaderBytes: number;
  readonly maxHeaders: number;
  readonly idleTimeoutMs: number;
  readonly headerTimeoutMs: number;
  readonly lingerMs: number;
  pending = 0;
  stopping = false;
  /** Refreshed by the sweep: connections stamp activity with it instead of reading the clock per event. */
  now = Date.now();
  /** IMF-fixdate of the current second. */
  date = new Date(this.now).toUTCString();
  private dateSecond = Math.floor(this.now / 1000);
  private readonly onError: ((err: unknown) => void) | undefined;
  private readonly conns = new Set<Connection>();
  private readonly listener: TCPSocketListener<Connection>;
  private readonly timer: ReturnType<typeof setInterval>;
  private stopped: Promise<void> | null = null;
  private resolveStopped: () => void = noop;

  constructor(opts: Http1ServerOptions) {
    this.hostname = opts.hostname ?? "0.0.0.0";
    this.handler = opts.handler;
    this.maxHeaderBytes = opts.maxHeaderBytes ?? 16 * 1024;
    this.maxHeaders = opts.maxHeaders ?? 100;
    this.idleTimeoutMs = opts.idleTimeoutMs ?? 30_000;
    this.headerTimeoutMs = opts.headerTimeoutMs ?? 10_000;
    this.lingerMs = Math.min(this.idleTimeoutMs, LINGER_MAX_MS);
    this.onError = opts.onError;
    this.listener = Bun.listen<Connection>({
      hostname: this.hostname,
      port: opts.port,
      allowHalfOpen: true,
      data: undefined as unknown as Connection,
      socket: {
        open: (socket) => {
          const conn = new Connection(this, socket);
          socket.data = conn;
          this.conns.add(conn);
          if (this.stopping) conn.close(false);
        },
        data: (socket, chunk) => socket.data.onData(chunk),
        drain: (socket) => socket.data.onDrain(),
        end: (socket) => socket.data.onPeerEnd(),
        close: (socket) => socket.data?.onClose(),
        error: (socket, err) => {
          this.reportError(err);
          socket.terminate();
        },
      },
    });
    // One timer per server for every timeout; its period bounds how late a timeout fires.
    const period = Math.max(10, Math.min(1000, Math.floor(Math.min(this.idleTimeoutMs, this.headerTimeoutMs) / 4)));
    this.timer = setInterval(() => this.sweep(), period);
    this.timer.unref();
  }

  get port(): number {
    return this.listener.port;
  }

  get pendingRequests(): number {
    return this.pending;
  }

  reportError(err: unknown): void {
    try {
      this.onError?.(err);
    } catch {
      // A failing error reporter must not take the connection down with it.
    }
  }

  private sweep(): void {
    const now = Date.now();
    this.now = now;
    const second = Math.floor(now / 1000);
    if (second !== this.dateSecond) {
      this.dateSecond = second;
      this.date = new Date(now).toUTCString();
    }
    for (const conn of this.conns) conn.sweep(now);
  }

  forget(conn: Connection): void {
    this.conns.delete(conn);
    if (this.stopping && this.conns.size === 0) this.finishStop();
  }

  private finishStop(): void {
    clearInterval(this.timer);
    this.resolveStopped();
  }

  stop(force = false): Promise<void> {
    if (this.stopped === null) {
      this.stopping = true;
      this.listener.stop(false);
      this.stopped = new Promise((resolve) => {
        this.resolveStopped = resolve;
      });
    }
    for (const conn of [...this.conns]) {
      if (force) conn.socket.terminate();
      else if (!conn.busy && !conn.ending) conn.close(conn.discard > 0 || conn.buf !== null);
    }
    if (this.conns.size === 0) this.finishStop();
    return this.stopped;
  }
}
