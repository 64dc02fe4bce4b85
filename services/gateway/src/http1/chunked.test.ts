import { describe, expect, test } from "bun:test";
import { ChunkedDecoder, ChunkedError, chunkSize } from "./chunked.ts";

/** Feeds `pieces` as a peer would send them, carrying unused bytes over; returns the body and the rest. */
function decode(pieces: string[], maxTrailerBytes = 1024): { body: string; rest: string; done: boolean } {
  const dec = new ChunkedDecoder(maxTrailerBytes);
  let body = "";
  let carry = Buffer.alloc(0);
  let rest = "";
  for (const piece of pieces) {
    const buf = Buffer.concat([carry, Buffer.from(piece, "latin1")]);
    if (dec.done) {
      rest += piece;
      continue;
    }
    const at = dec.feed(buf, 0, (b, s, e) => {
      body += b.toString("latin1", s, e);
      return true;
    });
    carry = dec.done ? Buffer.alloc(0) : buf.subarray(at);
    if (dec.done) rest += buf.toString("latin1", at);
  }
  return { body, rest, done: dec.done };
}

const wire = '4\r\nWiki\r\n6;ext=1;q="a b"\r\npedia \r\nE \r\nin \r\n\r\nchunks.\r\n0\r\nX-Trailer: t\r\n\r\n';

describe("chunked decoder", () => {
  test("chunks with extensions, whitespace before them and trailers decode to the body", () => {
    const out = decode([wire]);
    expect(out).toEqual({ body: "Wikipedia in \r\n\r\nchunks.", rest: "", done: true });
  });

  test("the same framing split at every byte boundary decodes to the same body", () => {
    for (let i = 1; i < wire.length; i++) {
      const out = decode([wire.slice(0, i), wire.slice(i)]);
      expect(out.body).toBe("Wikipedia in \r\n\r\nchunks.");
      expect(out.done).toBe(true);
    }
    expect(decode(wire.split("")).body).toBe("Wikipedia in \r\n\r\nchunks.");
  });

  test("bytes after the last chunk are left for the next message", () => {
    const out = decode(["3\r\nabc\r\n0\r\n\r\nGET /next HTTP/1.1\r\n"]);
    expect(out).toEqual({ body: "abc", rest: "GET /next HTTP/1.1\r\n", done: true });
  });

  test.each([
    ["a size that is not hex", "-5\r\nhello\r\n0\r\n\r\n", "malformed chunk size"],
    ["a size with more than 12 digits", "0000000000001\r\nx\r\n0\r\n\r\n", "malformed chunk size"],
    ["whitespace before the size", " 5\r\nhello\r\n0\r\n\r\n", "malformed chunk size"],
    ["text after the size that is no extension", "5 x\r\nhello\r\n0\r\n\r\n", "malformed chunk size"],
    ["a size line ending in a bare LF", "5\nhello\r\n0\r\n\r\n", "malformed chunk line"],
    ["a CR inside a size line", "5;a\rb\r\nhello\r\n0\r\n\r\n", "malformed chunk line"],
    ["a NUL inside a trailer line", "0\r\nX-T: a\0b\r\n\r\n", "malformed chunk line"],
    ["data longer than its size", "5\r\nhelloXX0\r\n\r\n", "malformed chunk"],
    ["a size line past 4 KiB", `5;${"e".repeat(5000)}`, "chunk line too long"],
    ["a complete size line past 4 KiB", `5;${"e".repeat(5000)}\r\nhello\r\n0\r\n\r\n`, "chunk line too long"],
    ["trailers past the limit", `0\r\n${"X-T: v\r\n".repeat(200)}\r\n`, "trailer section too large"],
    ["a trailer line without a colon", "0\r\nnot a field\r\n\r\n", "malformed trailer field"],
    ["a trailer name with a space before the colon", "0\r\nX-T : v\r\n\r\n", "malformed trailer field"],
    ["a trailer with an empty name", "0\r\n: v\r\n\r\n", "malformed trailer field"],
    ["a folded trailer line", "0\r\nX-T: v\r\n  more\r\n\r\n", "malformed trailer field"],
    ["a control character in a trailer value", "0\r\nX-T: a\x01b\r\n\r\n", "malformed trailer field"],
  ])("%s is refused", (_name, body, message) => {
    // a fresh decoder each run: a refused body leaves one mid-message
    const run = () => new ChunkedDecoder(1024).feed(Buffer.from(body, "latin1"), 0, () => true);
    expect(run).toThrow(ChunkedError);
    expect(run).toThrow(message);
  });

  test("a data span refused by the consumer stops the decoder right after it", () => {
    const dec = new ChunkedDecoder(1024);
    const buf = Buffer.from("3\r\nabc\r\n3\r\ndef\r\n0\r\n\r\n");
    const spans: string[] = [];
    const at = dec.feed(buf, 0, (b, s, e) => {
      spans.push(b.toString("latin1", s, e));
      return false;
    });
    expect(spans).toEqual(["abc"]);
    expect(at).toBe(6);
    expect(dec.done).toBe(false);
  });

  test("reset makes the decoder ready for the next body", () => {
    const dec = new ChunkedDecoder(1024);
    dec.feed(Buffer.from("3\r\nab"), 0, () => true);
    dec.reset();
    let body = "";
    dec.feed(Buffer.from("2\r\nhi\r\n0\r\n\r\n"), 0, (b, s, e) => {
      body += b.toString("latin1", s, e);
      return true;
    });
    expect(body).toBe("hi");
    expect(dec.done).toBe(true);
  });

  test("chunk sizes are hex, upper or lower case, with optional whitespace before extensions", () => {
    expect(chunkSize("1aF")).toBe(0x1af);
    expect(chunkSize("10 \t;name=value")).toBe(16);
    expect(chunkSize("")).toBe(-1);
    expect(chunkSize("g")).toBe(-1);
  });
});
