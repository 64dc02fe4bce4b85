import { describe, expect, test } from "bun:test";
import { until } from "./fixtures.ts";
import { startWhenReady } from "./when-ready.ts";

function recorder() {
  const lines: { level: string; obj: object; msg?: string }[] = [];
  return {
    lines,
    info: (obj: object, msg?: string) => lines.push({ level: "info", obj, ...(msg ? { msg } : {}) }),
    warn: (obj: object, msg?: string) => lines.push({ level: "warn", obj, ...(msg ? { msg } : {}) }),
  };
}

describe("starting a consumer when its stream is ready", () => {
  test("a consumer whose stream is missing is retried until it starts, and stop stops it", async () => {
    const logger = recorder();
    let attempts = 0;
    let stopped = 0;
    const consumer = startWhenReady({
      start: async () => {
        if (++attempts < 3) throw new Error("stream not found");
        return { stop: async () => void stopped++ };
      },
      retryMs: 5,
      logger,
      stream: "ORDERS",
      durable: "d",
    });
    await until("the consumer started", () => consumer.started, 2_000);
    expect(attempts).toBe(3);
    expect(logger.lines.map((l) => l.level)).toEqual(["warn", "info"]);
    await consumer.stop();
    expect(stopped).toBe(1);
  });

  test("stopping while the stream is still missing ends the retries without a consumer", async () => {
    let attempts = 0;
    const consumer = startWhenReady({
      start: async () => {
        attempts++;
        throw new Error("stream not found");
      },
      retryMs: 5,
      logger: recorder(),
      stream: "ORDERS",
      durable: "d",
    });
    await until("a retry happened", () => attempts >= 2, 2_000);
    await consumer.stop();
    const after = attempts;
    await Bun.sleep(20);
    expect(attempts).toBe(after);
    expect(consumer.started).toBe(false);
  });
});
