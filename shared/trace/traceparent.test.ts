import { describe, expect, test } from "bun:test";
import { childOf, createIdSource, formatTraceparent, parseTraceparent, spanInTrace, traceIdOf } from "./traceparent.ts";

const valid = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01";

describe("traceparent", () => {
  test("a valid header parses into its trace id, span id and flags", () => {
    expect(parseTraceparent(valid)).toEqual({
      traceId: "4bf92f3577b34da6a3ce929d0e0e4736",
      spanId: "00f067aa0ba902b7",
      flags: "01",
    });
  });

  test("formatting a parsed header gives the header back", () => {
    expect(formatTraceparent(parseTraceparent(valid)!)).toBe(valid);
  });

  test.each([
    ["missing", undefined],
    ["empty", ""],
    ["upper-case hex", valid.toUpperCase()],
    ["an all-zero trace id", `00-${"0".repeat(32)}-00f067aa0ba902b7-01`],
    ["an all-zero span id", `00-4bf92f3577b34da6a3ce929d0e0e4736-${"0".repeat(16)}-01`],
    ["version ff", `ff${valid.slice(2)}`],
    ["version 00 with an extra field", `${valid}-extra`],
    ["a short trace id", "00-4bf92f3577b34da6a3ce929d0e0e473-00f067aa0ba902b7-01"],
  ])("a header that is %s is refused", (_, header) => {
    expect(parseTraceparent(header)).toBeNull();
    expect(traceIdOf(header)).toBeNull();
  });

  test("the trace id of a valid header is read without the other fields", () => {
    expect(traceIdOf(valid)).toBe("4bf92f3577b34da6a3ce929d0e0e4736");
  });

  test("a later version with extra fields is read by its first four", () => {
    expect(parseTraceparent(`01${valid.slice(2)}-more`)?.spanId).toBe("00f067aa0ba902b7");
  });

  test("a child keeps the trace id and flags and gets a new span id", () => {
    const parent = parseTraceparent(valid)!;
    const child = childOf(parent, createIdSource());
    expect(child.traceId).toBe(parent.traceId);
    expect(child.flags).toBe("01");
    expect(child.spanId).toMatch(/^[0-9a-f]{16}$/);
    expect(child.spanId).not.toBe(parent.spanId);
  });

  test("without a parent a new sampled trace starts", () => {
    const child = childOf(null, createIdSource());
    expect(child.traceId).toMatch(/^[0-9a-f]{32}$/);
    expect(child.flags).toBe("01");
  });

  test("a span in a known trace keeps the trace id, is sampled and gets a new span id", () => {
    const span = spanInTrace("4bf92f3577b34da6a3ce929d0e0e4736", createIdSource());
    expect(span?.traceId).toBe("4bf92f3577b34da6a3ce929d0e0e4736");
    expect(span?.flags).toBe("01");
    expect(span?.spanId).toMatch(/^[0-9a-f]{16}$/);
  });

  test("a span in a trace that is not recorded is flagged unsampled", () => {
    expect(spanInTrace("4bf92f3577b34da6a3ce929d0e0e4736", createIdSource(), false)?.flags).toBe("00");
  });

  test.each([
    ["missing", undefined],
    ["upper-case", "4BF92F3577B34DA6A3CE929D0E0E4736"],
    ["all zeros", "0".repeat(32)],
    ["too short", "4bf92f3577b34da6a3ce929d0e0e473"],
  ])("no span is made in a trace id that is %s", (_, traceId) => {
    expect(spanInTrace(traceId, createIdSource())).toBeNull();
  });

  test("an id source never repeats an id across pool refills", () => {
    const ids = createIdSource();
    const seen = new Set<string>();
    for (let i = 0; i < 1000; i++) seen.add(ids.traceId());
    expect(seen.size).toBe(1000);
  });
});
