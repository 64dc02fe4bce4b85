// Request bodies: the state of one `readBody` call, and moving received bytes into it, either counted down by
// Content-Length or de-chunked (chunk sizes, chunk ends, trailers), strictly, as with the head.

import type { FastBuffer } from "../proxy/http1.fields.ts";
import type { Connection } from "./http1.connection.ts";
import type { ParsedRequest } from "./http1.request.ts";
import { noop } from "./http1.response.ts";

const CHUNK_LINE_MAX = 4096;

enum Chunk {
  Size = 0,
  Data = 1,
  DataEnd = 2,
  Trailers = 3,
}

/** The state of one `readBody` call. */
export class BodyReader {
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

/** Moves received body bytes into `reader`. */
export function feedBody(conn: Connection, req: ParsedRequest, reader: BodyReader): void {
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
    if (reader.chunk === Chunk.Data) {
      const n = Math.min(reader.chunkLeft, b.length);
      reader.chunkLeft -= n;
      conn.consume(n);
      if (!reader.add(n === b.length ? b : b.subarray(0, n))) {
        overLimit(conn, req, reader);
        return;
      }
      if (reader.chunkLeft === 0) reader.chunk = Chunk.DataEnd;
      continue;
    }
    if (reader.chunk === Chunk.DataEnd) {
      if (b[0] !== 13 || (b.length > 1 && b[1] !== 10)) {
        conn.badBody(req, reader, 400, "malformed chunk");
        return;
      }
      if (b.length < 2) break;
      conn.consume(2);
      reader.chunk = Chunk.Size;
      continue;
    }
    const lf = b.indexOf(10);
    if (lf < 0) {
      if (b.length > CHUNK_LINE_MAX) {
        conn.badBody(req, reader, 400, "chunk line too long");
        return;
      }
      break;
    }
    if (lf === 0 || b[lf - 1] !== 13) {
      conn.badBody(req, reader, 400, "malformed chunk line");
      return;
    }
    const line = (b as FastBuffer).latin1Slice(0, lf - 1);
    conn.consume(lf + 1);
    if (reader.chunk === Chunk.Trailers) {
      reader.trailerBytes += lf + 1;
      if (line.length === 0) {
        req.bodyDone = true;
        reader.resolve(false);
      } else if (reader.trailerBytes > conn.server.maxHeaderBytes || line.includes("\r")) {
        conn.badBody(req, reader, 400, "malformed trailer section");
        return;
      }
      continue;
    }
    const size = parseChunkSize(line);
    if (size < 0) {
      conn.badBody(req, reader, 400, "malformed chunk size");
      return;
    }
    if (size === 0) reader.chunk = Chunk.Trailers;
    else {
      reader.chunk = Chunk.Data;
      reader.chunkLeft = size;
    }
  }
  if (!reader.done && conn.peerEnded) conn.badBody(req, reader, 400, "the body ended early");
}

function overLimit(conn: Connection, req: ParsedRequest, reader: BodyReader): void {
  req.overLimit = true;
  conn.dropInput();
  reader.resolve(true);
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
