import { describe, expect, test } from "bun:test";
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
