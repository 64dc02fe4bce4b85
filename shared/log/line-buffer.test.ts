import { describe, expect, test } from "bun:test";
import { LineBuffer } from "./line-buffer.ts";

const record = (writes: string[], d: Buffer) => {
  writes.push(d.toString());
  return d.length;
};

describe("LineBuffer", () => {
  test("lines are written in one chunk once enough have gathered, in order", () => {
    const writes: string[] = [];
    const b = new LineBuffer(1, { flushBytes: 20, write: (_fd, d) => record(writes, d) });
    b.write("aaaa\n");
    b.write("bbbb\n");
    expect(writes).toEqual([]);
    b.write("cccccccccccc\n");
    expect(writes).toEqual(["aaaa\nbbbb\ncccccccccccc\n"]);
  });

  test("a few lines are written after flushMs even without more traffic", async () => {
    const writes: string[] = [];
    const b = new LineBuffer(1, { flushMs: 20, write: (_fd, d) => record(writes, d) });
    b.write("one\n");
    await Bun.sleep(60);
    expect(writes).toEqual(["one\n"]);
  });

  test("a full fd (EAGAIN, partial writes) keeps the rest and loses nothing once it drains", async () => {
    let full = true;
    const out: string[] = [];
    const b = new LineBuffer(1, {
      flushBytes: 1,
      flushMs: 10,
      write: (_fd, d) => {
        if (full) {
          const err = Object.assign(new Error("EAGAIN"), { code: "EAGAIN" });
          throw err;
        }
        const n = Math.min(3, d.length);
        out.push(d.subarray(0, n).toString());
        return n;
      },
    });
    b.write("first\n");
    b.write("second\n");
    full = false;
    b.flushSync();
    expect(out.join("")).toBe("first\nsecond\n");
    expect(b.dropped).toBe(0);
  });

  test("past maxPendingBytes the oldest lines are dropped and counted", () => {
    const b = new LineBuffer(1, {
      flushBytes: 1,
      maxPendingBytes: 40,
      write: () => {
        throw Object.assign(new Error("EAGAIN"), { code: "EAGAIN" });
      },
    });
    for (let i = 0; i < 10; i++) b.write(`line-${i}-xxxx\n`);
    expect(b.dropped).toBeGreaterThan(0);
    b.flushSync(5);
  });
});
