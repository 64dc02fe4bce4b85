import { describe, expect, test } from "bun:test";
import pino from "pino";
import { MemoryIdempotencyStore } from "./memory.ts";
import { startIdempotencyPurge } from "./purge.ts";

describe("the periodic purge", () => {
  test("deletes expired keys every period until stopped", async () => {
    let now = 0;
    const store = new MemoryIdempotencyStore({ ttlMs: 1_000, now: () => now });
    await store.run({ scope: "u", key: "k", fingerprint: "f" }, async () => ({ status: 201, body: null, headers: {} }));
    const purge = startIdempotencyPurge({ store, everyMs: 10, logger: pino({ level: "silent" }) });
    await Bun.sleep(30);
    expect(store.size).toBe(1);
    now = 2_000;
    await Bun.sleep(30);
    expect(store.size).toBe(0);
    await purge.stop();
  });
});
