import { expect, test } from "bun:test";
import { startReservationSweeper } from "./orders.sweeper.ts";

test("a sweep settles pending orders, then reads the held listing page by page to the last", async () => {
  const calls: string[] = [];
  const pages = new Map<string | null, string | null>([
    [null, "a"],
    ["a", "b"],
    ["b", null],
  ]);
  let sweeps = 0;
  let swept!: () => void;
  const firstSweep = new Promise<void>((resolve) => {
    swept = resolve;
  });
  const sweeper = startReservationSweeper({
    orders: {
      async reconcile() {
        calls.push("reconcile");
        return { rejected: 0, released: 0 };
      },
      async reconcileHeld(_policy, after) {
        calls.push(`held after ${after}`);
        const next = pages.get(after) ?? null;
        if (next === null && ++sweeps === 1) swept();
        return { released: 1, next };
      },
    },
    policy: { pendingTimeoutMs: 1_000, batch: 2, sweepMs: 60_000 },
    logger: { info: () => {}, warn: () => {} },
  });
  await firstSweep;
  await sweeper.stop();
  expect(calls).toEqual(["reconcile", "held after null", "held after a", "held after b"]);
});
