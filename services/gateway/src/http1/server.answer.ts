// Answers on the wire: the status line and response head, a body in the same write as the head when small,
// or a stream framed with chunked transfer coding; plus the Web Response conversion.

import type { Answer } from "../transport/transport.ts";
import type { FastBuffer } from "./fields.ts";
import { noop } from "./server.body.ts";
import type { ParsedRequest } from "./server.request.ts";

/** The connection as writing an answer uses it. */
export interface AnswerOutput {
  readonly server: { readonly date: string; readonly stopping: boolean; reportError(err: unknown): void };
  readonly closed: boolean;
  readonly ending: boolean;
  /** Bytes the socket did not take yet (null when all were written). */
  readonly out: Uint8Array | null;
  /** Runs once `out` is empty. */
  flushed: (() => void) | null;
  /** The response body being streamed, cancelled when the connection closes. */
  stream: ReadableStreamDefaultReader<Uint8Array> | null;
  /** Writes or queues `data`; true when the socket took all of it. */
  write(data: Uint8Array): boolean;
  /** The answer to `req` is fully written. */
  finish(req: ParsedRequest, close: boolean): void;
  settle(req: ParsedRequest): void;
  handlerFailed(req: ParsedRequest, err: unknown): void;
  /** Drops the connection after a failure mid-answer. */
  abort(req: ParsedRequest): void;
}

const LAST_CHUNK = Buffer.from("0\r\n\r\n");
/** An unread Content-Length body up to this size is skipped so the connection can be kept. */
const DISCARD_MAX = 64 * 1024;
/** Bodies up to this size leave in the same write as the head; larger ones are not copied. */
const COALESCE_MAX = 64 * 1024;

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

/** The reason phrase of a status line. */
export const reasonOf = (status: number) => REASONS[status] ?? "Unknown";

/** A CR or LF in a response header would split it; short strings are scanned inline (cheaper than two calls). */
function hasLineBreak(s: string): boolean {
  if (s.length > 64) return s.indexOf("\n") !== -1 || s.indexOf("\r") !== -1;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c === 10 || c === 13) return true;
  }
  return false;
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

/** A Web Response (operational routes) as an Answer: a declared length is read whole, else streamed. */
export async function fromWebResponse(res: Response): Promise<Answer> {
  const headers: string[] = [];
  for (const [name, value] of res.headers) {
    if (!HOP_BY_HOP.has(name) && name !== "set-cookie") headers.push(name, value);
  }
  for (const cookie of res.headers.getSetCookie()) headers.push("set-cookie", cookie);
  let body: Answer["body"] = null;
  if (res.body !== null) {
    body = res.headers.has("content-length") ? new Uint8Array(await res.arrayBuffer()) : res.body;
  }
  return { status: res.status, headers, body };
}

/** Cancels the body of an answer that will not be sent. */
export function dropBody(res: Answer | Response): void {
  const body = res.body;
  if (body instanceof ReadableStream) body.cancel().catch(noop);
}

/** Writes the answer to `req`; throws (before writing anything) on an invalid status or header. */
export function send(conn: AnswerOutput, req: ParsedRequest, res: Answer): void {
  const status = res.status;
  if (!Number.isInteger(status) || status < 100 || status > 999) throw new Error(`invalid status ${status}`);
  const bodyless = status < 200 || status === 204 || status === 304;
  const isHead = req.method === "HEAD";
  // a prepared head (a cached answer's) is written as it is: only the pairs added to it are rendered here
  const prepared = res.head !== undefined && res.head.status === status ? res.head : null;
  let head = prepared !== null ? "" : "HTTP/1.1 " + status + " " + reasonOf(status) + "\r\n";
  let declared: string | null = null;
  let hasDate = prepared !== null && prepared.date;
  const h = res.headers;
  const checked = (res.checked ?? 0) * 2;
  for (let i = 0; i < h.length; i += 2) {
    const name = h[i]!;
    const value = h[i + 1]!;
    if (i >= checked && (hasLineBreak(name) || hasLineBreak(value)))
      throw new Error(`line break in response header ${name}`);
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
  if (!hasDate) head += "date: " + conn.server.date + "\r\n";
  let close = mustClose(conn, req);
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
    if (prepared !== null) head = Buffer.from(prepared.bytes).toString("latin1") + head;
    pump(conn, req, head, stream.getReader(), req.httpVersion === "1.1", close);
    return;
  }
  const bodyLen = isHead || bodyless || (text === null && bytes === null) ? 0 : length;
  const fixed = prepared === null ? 0 : prepared.bytes.byteLength;
  let done: boolean;
  if (bodyLen <= COALESCE_MAX) {
    const out = Buffer.allocUnsafe(fixed + head.length + bodyLen) as FastBuffer;
    if (prepared !== null) out.set(prepared.bytes, 0);
    out.latin1Write(head, fixed);
    if (bodyLen > 0) {
      if (text !== null) out.utf8Write(text, fixed + head.length);
      else out.set(bytes!, fixed + head.length);
    }
    done = conn.write(out);
  } else {
    if (prepared !== null) conn.write(prepared.bytes);
    conn.write(Buffer.from(head, "latin1"));
    done = conn.write(text !== null ? Buffer.from(text) : bytes!);
  }
  if (done) conn.finish(req, close);
  else conn.flushed = () => conn.finish(req, close);
}

function mustClose(conn: AnswerOutput, req: ParsedRequest): boolean {
  if (!req.keepAlive || conn.server.stopping || conn.ending) return true;
  if (req.bodyDone) return false;
  if (req.chunked || req.overLimit || (req.expectContinue && !req.continued)) return true;
  return req.bodyLeft > DISCARD_MAX;
}

/** Streams a body; the head leaves with the first chunk, so a stream failing before it still gets a 500. */
async function pump(
  conn: AnswerOutput,
  req: ParsedRequest,
  head: string | null,
  reader: ReadableStreamDefaultReader<Uint8Array>,
  chunked: boolean,
  close: boolean,
): Promise<void> {
  conn.stream = reader;
  try {
    for (;;) {
      const { done, value } = await reader.read();
      if (conn.closed) break;
      if (done) {
        conn.stream = null;
        if (head !== null) conn.write(Buffer.from(head, "latin1"));
        if (chunked) conn.write(LAST_CHUNK);
        if (conn.out === null) conn.finish(req, close);
        else conn.flushed = () => conn.finish(req, close);
        return;
      }
      const data: Uint8Array = typeof value === "string" ? Buffer.from(value) : value;
      if (data.byteLength === 0) continue;
      const frame = withHead(head, chunked ? frameChunk(data) : data);
      head = null;
      if (!conn.write(frame)) {
        await new Promise<void>((resolve) => {
          conn.flushed = resolve;
        });
        if (conn.closed) break;
      }
    }
    reader.cancel().catch(noop);
    conn.settle(req);
  } catch (err) {
    conn.stream = null;
    reader.cancel().catch(noop);
    if (head !== null && !conn.closed) {
      req.answered = false;
      conn.handlerFailed(req, err);
    } else {
      conn.server.reportError(err);
      conn.abort(req);
    }
  }
}
