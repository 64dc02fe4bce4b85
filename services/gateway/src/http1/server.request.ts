// Request heads, parsed strictly (RFC 9112): anything ambiguous about message framing is refused with a
// ProtocolError before a handler sees the request, to rule out smuggling.

import type { ClientRequest, RequestHeaders } from "../transport/transport.ts";
import { contentLengthOf, headerName, isBlank, isToken, TOKEN } from "./fields.ts";
import { type BodyFraming, BodyReader } from "./server.body.ts";

/** One parsed request, as the HTTP/1.1 server hands it to its handler. */
export interface IncomingRequest extends ClientRequest {
  /** As sent, e.g. "GET" (methods are case-sensitive tokens). */
  method: string;
  /** The request-target in origin form, e.g. "/a/b?x=1" (an absolute-form target is reduced to its path and query). */
  target: string;
  httpVersion: "1.0" | "1.1";
  /** Reads the whole body (de-chunked); null when it exceeds `limit` bytes, and the connection is then closed
   * after the handler's answer. The same promise on every call. Sends "100 Continue" first when the client
   * asked for it and nothing was answered yet. Rejects when the body is malformed (the server has then answered
   * 400 itself) or the client goes away. */
  readBody(limit: number): Promise<Uint8Array | null>;
}

/** The connection a request arrived on, as parsing and `readBody` use it. */
export interface RequestSource {
  readonly clientIp: string;
  readonly server: { readonly maxHeaders: number };
  /** Starts moving the request's body into `reader`. */
  startBody(req: ParsedRequest, reader: BodyReader): void;
}

/** A request the server refuses before any handler sees it. */
export class ProtocolError {
  constructor(
    readonly status: number,
    readonly detail: string,
  ) {}
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

/** A request on its connection: what the handler reads, and how far its body and answer have got. */
export class ParsedRequest implements IncomingRequest, BodyFraming {
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
  /** When its first byte arrived (the server's clock): `read_timeout` counts from here to the body's end. */
  startedAt = 0;

  constructor(
    private readonly conn: RequestSource,
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
  const n = contentLengthOf(value);
  if (n === "invalid") throw new ProtocolError(400, "invalid Content-Length");
  if (n === "conflict") throw new ProtocolError(400, "conflicting Content-Length values");
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

/** uri-host [ ":" port ]: a reg-name (unreserved, sub-delims, pct-encoded) or an IP literal. */
const HOST = /^(?:\[[0-9A-Fa-f:.]+\]|[A-Za-z0-9._~!$&'()*+,;=%-]*)(?::[0-9]*)?$/;

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
  // A fragment (#) has no place in a request target, and a raw backslash is no URI character: WHATWG URL
  // parsers (Bun.serve's, so every service's) read a backslash in a path as "/" and cut at "#", which would
  // let "..\\..\\x" or "{id}#" reach another path of the backend than the route names. Browsers send a
  // backslash in a query as it is, and there it is only data.
  const query = form.indexOf("?");
  for (let i = 0; i < form.length; i++) {
    const ch = form.charCodeAt(i);
    if (ch <= 32 || ch === 127 || ch === 35 || (ch === 92 && (query < 0 || i < query))) {
      throw new ProtocolError(400, "invalid character in the request target");
    }
  }
  return form;
}

/** Parses a complete request head (`head` ends with the CRLF of its last line). */
export function parseHead(head: string, conn: RequestSource): ParsedRequest {
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
    // names are lower-cased one by one, and only those that hold an upper-case letter
    let upper = false;
    while (c < 128 && TOKEN[c] === 1) {
      if (c >= 65 && c <= 90) upper = true;
      c = head.charCodeAt(++i);
    }
    if (c !== 58 /* : */ || i === pos) throw new ProtocolError(400, headerNameProblem(c, i === pos));
    const colon = i;
    c = head.charCodeAt(++i);
    while (c !== 13) {
      if ((c < 32 && c !== 9) || c === 127) throw new ProtocolError(400, "control character in a header value");
      c = head.charCodeAt(++i);
    }
    if (head.charCodeAt(i + 1) !== 10) throw new ProtocolError(400, "bare CR in the request head");
    const cr = i;
    const key = headerName(head, pos, colon, upper);
    let vs = colon + 1;
    let ve = cr;
    while (vs < ve && isBlank(head.charCodeAt(vs))) vs++;
    while (ve > vs && isBlank(head.charCodeAt(ve - 1))) ve--;
    const value = head.slice(vs, ve);
    pairs.push(key, value);
    pos = cr + 2;
    switch (key.length) {
      case 4:
        if (key === "host") {
          hosts++;
          // RFC 9112 3.2: a Host that is no uri-host[:port] is refused (it would become X-Forwarded-Host)
          if (!HOST.test(value)) throw new ProtocolError(400, "invalid Host header");
        }
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
