import { describe, expect, test } from "bun:test";
import { createPrettyStream, formatPretty } from "./pretty.ts";

describe("formatPretty", () => {
  test("a JSON line becomes time, padded level, message, other fields and caller", () => {
    const line = JSON.stringify({
      level: "error",
      time: "2025-01-02T03:04:05.678Z",
      service: "s",
      version: "1",
      caller: "a.ts:3",
      msg: "failed",
      err: { message: "x" },
    });
    expect(formatPretty(line)).toBe('03:04:05.678 ERROR failed err={"message":"x"} (a.ts:3)\n');
  });

  test("a line that is not JSON passes through unchanged", () => {
    expect(formatPretty("plain text")).toBe("plain text\n");
  });

  test("the pretty stream writes formatted lines to its destination in the same call", () => {
    const written: string[] = [];
    createPrettyStream({ write: (s: string) => written.push(s) }).write(
      JSON.stringify({ level: "info", time: 0, msg: "m" }),
    );
    expect(written).toEqual(["00:00:00.000 INFO  m\n"]);
  });
});
