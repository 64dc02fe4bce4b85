import { describe, expect, test } from "bun:test";
import { startPruning } from "./auth.module.ts";

function recorder() {
  const lines: { level: string; msg: string }[] = [];
  return {
    lines,
    info: (_obj: unknown, msg?: string) => lines.push({ level: "info", msg: msg ?? "" }),
    warn: (_obj: unknown, msg?: string) => lines.push({ level: "warn", msg: msg ?? "" }),
  };
}

describe("background pruning", () => {
  test("runs on its interval, logs what it deleted, survives a failed run and stops for good", async () => {
    const log = recorder();
    let calls = 0;
    const auth = {
      async prune() {
        calls++;
        if (calls === 1) throw new Error("database down");
        return { loginFailures: 2, refreshTokens: 1 };
      },
    };
    const pruning = startPruning(auth, 10, log as never);
    const until = Date.now() + 2000;
    while (calls < 3 && Date.now() < until) await Bun.sleep(5);
    await pruning.stop();
    const stoppedAt = calls;
    expect(stoppedAt).toBeGreaterThanOrEqual(3);
    expect(log.lines[0]).toEqual({ level: "warn", msg: "pruning failed" });
    expect(log.lines.slice(1).every((l) => l.level === "info" && l.msg === "pruned stale rows")).toBe(true);
    await Bun.sleep(50);
    expect(calls).toBe(stoppedAt);
  });

  test("a run in progress is awaited by stop, and no second run overlaps it", async () => {
    let active = 0;
    let most = 0;
    let finished = 0;
    const auth = {
      async prune() {
        active++;
        most = Math.max(most, active);
        await Bun.sleep(60);
        active--;
        finished++;
        return { loginFailures: 0, refreshTokens: 0 };
      },
    };
    const pruning = startPruning(auth, 5, recorder() as never);
    await Bun.sleep(30);
    await pruning.stop();
    expect(finished).toBe(1);
    expect(active).toBe(0);
    expect(most).toBe(1);
  });

  test("an interval of 0 never prunes", async () => {
    let calls = 0;
    const pruning = startPruning(
      {
        async prune() {
          calls++;
          return { loginFailures: 0, refreshTokens: 0 };
        },
      },
      0,
      recorder() as never,
    );
    await Bun.sleep(30);
    await pruning.stop();
    expect(calls).toBe(0);
  });
});
