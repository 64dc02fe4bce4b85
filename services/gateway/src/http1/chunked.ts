// The chunked transfer coding (RFC 9112 section 7.1), decoded strictly: one decoder for the bodies the
// HTTP/1.1 server reads and the answers the upstream client reads, so both ends refuse the same framing.
// Chunk sizes are hex digits (at most 12), then optional whitespace and extensions after ';'; every line ends
// with CRLF, and a CR, LF or NUL elsewhere in a line is refused. Trailer lines must be field lines (a token
// name, a colon, a value without control characters); they are then dropped, as fetch does, within a byte limit.

import { type FastBuffer, isFieldLine } from "./fields.ts";

/** Framing the decoder refuses; the message is what the peer is told. */
export class ChunkedError extends Error {
  override readonly name = "ChunkedError";
}

enum State {
  Size = 0,
  Data = 1,
  DataEnd = 2,
  Trailers = 3,
  Done = 4,
}

/** Longest chunk size line (size and extensions). */
const SIZE_LINE_MAX = 4096;

/** Hex chunk size of a line without its CRLF, or -1 when malformed. */
export function chunkSize(line: string): number {
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
  return size;
}

/** A data span of the decoded body: `buf[start, end)`. Returning false stops the decoder after it. */
export type ChunkData = (buf: Buffer, start: number, end: number) => boolean;

/** Decodes one chunked body, fed buffer by buffer; `reset` before the next body. */
export class ChunkedDecoder {
  private state = State.Size;
  /** Bytes left in the current chunk. */
  private left = 0;
  private trailerBytes = 0;

  /** `maxTrailerBytes` bounds the trailer section, like a head. */
  constructor(private readonly maxTrailerBytes: number) {}

  /** The last chunk and the trailer section have been read. */
  get done(): boolean {
    return this.state === State.Done;
  }

  reset(): void {
    this.state = State.Size;
    this.left = 0;
    this.trailerBytes = 0;
  }

  /**
   * Decodes `buf` from `at`, handing each data span to `data`. Returns the offset it stopped at: the end
   * of the body when `done`, the start of a line or chunk end that has not fully arrived (the caller feeds
   * those bytes again with what follows), or the end of the span `data` stopped at. Throws `ChunkedError`.
   */
  feed(buf: Buffer, at: number, data: ChunkData): number {
    while (at < buf.length) {
      switch (this.state) {
        case State.Data: {
          const end = Math.min(buf.length, at + this.left);
          this.left -= end - at;
          if (this.left === 0) this.state = State.DataEnd;
          const more = data(buf, at, end);
          at = end;
          if (!more) return at;
          break;
        }
        case State.DataEnd: {
          if (buf[at] !== 13 || (at + 1 < buf.length && buf[at + 1] !== 10)) throw new ChunkedError("malformed chunk");
          if (at + 1 === buf.length) return at;
          at += 2;
          this.state = State.Size;
          break;
        }
        case State.Size:
        case State.Trailers: {
          const lf = buf.indexOf(10, at);
          const room = this.state === State.Size ? SIZE_LINE_MAX : this.maxTrailerBytes - this.trailerBytes;
          if (lf < 0 ? buf.length - at > room : lf + 1 - at > room) {
            throw new ChunkedError(this.state === State.Size ? "chunk line too long" : "trailer section too large");
          }
          if (lf < 0) return at;
          if (lf === at || buf[lf - 1] !== 13) throw new ChunkedError("malformed chunk line");
          const line = (buf as FastBuffer).latin1Slice(at, lf - 1);
          if (line.includes("\r") || line.includes("\0")) throw new ChunkedError("malformed chunk line");
          at = lf + 1;
          if (this.state === State.Trailers) {
            if (line.length === 0) {
              this.state = State.Done;
              return at;
            }
            if (!isFieldLine(line)) throw new ChunkedError("malformed trailer field");
            this.trailerBytes += line.length + 2;
            break;
          }
          const size = chunkSize(line);
          if (size < 0) throw new ChunkedError("malformed chunk size");
          this.left = size;
          this.state = size === 0 ? State.Trailers : State.Data;
          break;
        }
        case State.Done:
          return at;
      }
    }
    return at;
  }
}
