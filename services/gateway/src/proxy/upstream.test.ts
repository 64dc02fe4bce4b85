import { describe, expect, test } from "bun:test";
import { brotliCompressSync, deflateSync, gzipSync, zstdCompressSync } from "node:zlib";
import { decodedBody, UpstreamTooLargeError } from "./upstream.ts";

describe("decoding a compressed backend answer", () => {
  test("a compressed answer decodes to its bytes", () => {
    const text = Buffer.from('{"a":1}');
    for (const [coding, pack] of [
      ["gzip", gzipSync],
      ["deflate", deflateSync],
      ["br", brotliCompressSync],
      ["zstd", zstdCompressSync],
    ] as const) {
      expect(Buffer.from(decodedBody(pack(text), coding, 100)).toString()).toBe('{"a":1}');
    }
  });

  test("a small answer inflating past the limit fails without ever holding the inflated bytes", () => {
    // 256 MB of spaces squeeze into about 250 KB: decoding it whole before checking would take that memory
    const inflated = 256 * 1024 * 1024;
    const spaces = Buffer.alloc(inflated, 32);
    const bombs = [
      ["gzip", gzipSync(spaces)],
      ["deflate", deflateSync(spaces)],
      ["zstd", zstdCompressSync(spaces)],
    ] as const;
    for (const [coding, bomb] of bombs) {
      expect(bomb.byteLength).toBeLessThan(1024 * 1024);
      const before = process.memoryUsage().rss;
      expect(() => decodedBody(bomb, coding, 10 * 1024 * 1024)).toThrow(UpstreamTooLargeError);
      expect(process.memoryUsage().rss - before).toBeLessThan(inflated / 4);
    }
  });
});
