import { describe, expect, test } from "bun:test";
import { type Tracer, trace } from "@opentelemetry/api";
import pino from "pino";
import { createHttpApp } from "./app.ts";

const valid = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01";

async function traceIdOf(traceparent?: string): Promise<string> {
  const app = createHttpApp({ logger: pino({ level: "silent" }) });
  app.get("/trace", (c) => c.text(c.get("traceId")));
  const res = await app.request("/trace", { headers: traceparent ? { traceparent } : {} });
  return res.text();
}

describe("the trace id aroundRequest gives a request", () => {
  test("a valid incoming traceparent keeps its trace id", async () => {
    expect(await traceIdOf(valid)).toBe("4bf92f3577b34da6a3ce929d0e0e4736");
  });

  test("a missing or invalid traceparent starts a new trace", async () => {
    for (const header of [undefined, "garbage", `00-${"0".repeat(32)}-00f067aa0ba902b7-01`, `ff${valid.slice(2)}`]) {
      const traceId = await traceIdOf(header);
      expect(traceId).toMatch(/^[0-9a-f]{32}$/);
      expect(traceId).not.toBe("0".repeat(32));
      expect(traceId).not.toBe("4bf92f3577b34da6a3ce929d0e0e4736");
    }
  });
});

describe("the sampling decision aroundRequest makes before any span", () => {
  // A tracer that counts the spans asked of it; each is a valid sampled, non-recording span.
  function countingTracer() {
    const tracer = {
      started: 0,
      startSpan: () => {
        tracer.started++;
        return trace.wrapSpanContext({
          traceId: "4bf92f3577b34da6a3ce929d0e0e4736",
          spanId: "00f067aa0ba902b7",
          traceFlags: 1,
        });
      },
      startActiveSpan: () => {
        throw new Error("not used");
      },
    };
    return tracer;
  }

  async function serve(ratio: number, traceparent?: string) {
    const tracer = countingTracer();
    const app = createHttpApp({
      logger: pino({ level: "silent" }),
      tracer: tracer as unknown as Tracer,
      sampling: { ratio, parentBased: true },
    });
    app.get("/trace", (c) => c.json({ traceId: c.get("traceId"), unsampled: c.get("unsampled") === true }));
    const res = await app.request("/trace", { headers: traceparent ? { traceparent } : {} });
    return { spans: tracer.started, ...((await res.json()) as { traceId: string; unsampled: boolean }) };
  }

  test("a new trace the ratio leaves out makes no span and still has a trace id", async () => {
    const got = await serve(0);
    expect(got.spans).toBe(0);
    expect(got.unsampled).toBe(true);
    expect(got.traceId).toMatch(/^[0-9a-f]{32}$/);
  });

  test("a caller's unsampled traceparent makes no span and keeps its trace id", async () => {
    const got = await serve(1, `${valid.slice(0, -2)}00`);
    expect(got).toEqual({ spans: 0, traceId: "4bf92f3577b34da6a3ce929d0e0e4736", unsampled: true });
  });

  test("a caller's sampled traceparent, or a new trace the ratio keeps, makes the server span", async () => {
    expect(await serve(0, valid)).toMatchObject({ spans: 1, unsampled: false });
    expect(await serve(1)).toMatchObject({ spans: 1, unsampled: false });
  });
});
