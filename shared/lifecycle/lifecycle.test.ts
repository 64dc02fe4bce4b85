import { describe, expect, mock, test } from "bun:test";
import { drainServer } from "./drain.ts";
import { createLifecycle, type LifecycleLogger } from "./lifecycle.ts";

function memoryLogger() {
  const entries: { level: string; obj: object; msg?: string }[] = [];
  const logger: LifecycleLogger = {
    info: (obj, msg) => entries.push({ level: "info", obj, msg }),
    warn: (obj, msg) => entries.push({ level: "warn", obj, msg }),
    error: (obj, msg) => entries.push({ level: "error", obj, msg }),
  };
  return { logger, entries };
}

describe("createLifecycle", () => {
  test("stop runs the steps in reverse order of registration and then resolves stopped", async () => {
    const { logger } = memoryLogger();
    const lifecycle = createLifecycle({ logger, drainMs: 1000, signals: [] });
    const ran: string[] = [];
    lifecycle.onStop("db pool", () => ran.push("db pool"));
    lifecycle.onStop("consumer", async () => {
      await Bun.sleep(5);
      ran.push("consumer");
    });
    lifecycle.onStop("http", () => ran.push("http"));
    await lifecycle.stop("test");
    expect(ran).toEqual(["http", "consumer", "db pool"]);
    expect(await lifecycle.stopped).toBe("test");
  });

  test("calling stop twice runs each step once", async () => {
    const lifecycle = createLifecycle({ logger: memoryLogger().logger, drainMs: 1000, signals: [] });
    const step = mock(() => Bun.sleep(5));
    lifecycle.onStop("only", step);
    await Promise.all([lifecycle.stop("a"), lifecycle.stop("b")]);
    expect(step).toHaveBeenCalledTimes(1);
    expect(await lifecycle.stopped).toBe("a");
  });

  test("a failing step is logged and the steps after it still run", async () => {
    const { logger, entries } = memoryLogger();
    const lifecycle = createLifecycle({ logger, drainMs: 1000, signals: [] });
    const later = mock(() => {});
    lifecycle.onStop("later", later);
    lifecycle.onStop("broken", () => {
      throw new Error("nope");
    });
    await lifecycle.stop("test");
    expect(later).toHaveBeenCalledTimes(1);
    expect(entries.find((e) => e.level === "error")?.obj).toMatchObject({ step: "broken" });
  });

  test("a step that outlasts drainMs is abandoned with a warning so shutdown goes on", async () => {
    const { logger, entries } = memoryLogger();
    const lifecycle = createLifecycle({ logger, drainMs: 30, signals: [] });
    const later = mock(() => {});
    lifecycle.onStop("later", later);
    lifecycle.onStop("stuck", () => new Promise(() => {}));
    const started = performance.now();
    await lifecycle.stop("test");
    expect(performance.now() - started).toBeLessThan(500);
    expect(later).toHaveBeenCalledTimes(1);
    expect(entries.find((e) => e.level === "warn")?.obj).toMatchObject({ step: "stuck" });
  });

  test("each step is told the reason and the drain deadline", async () => {
    const lifecycle = createLifecycle({ logger: memoryLogger().logger, drainMs: 1000, signals: [] });
    const step = mock((_ctx: { reason: string; deadline: number }) => {});
    lifecycle.onStop("s", step);
    const before = Date.now();
    await lifecycle.stop("deploy");
    const ctx = step.mock.calls[0]![0];
    expect(ctx.reason).toBe("deploy");
    expect(ctx.deadline).toBeGreaterThanOrEqual(before + 1000);
  });

  test("the first signal stops, a second one forces the exit, and handlers are removed afterwards", async () => {
    const forceExit = mock((_code: number) => {});
    const lifecycle = createLifecycle({
      logger: memoryLogger().logger,
      drainMs: 1000,
      signals: ["SIGUSR2"],
      forceExit,
      repeatGraceMs: 0,
    });
    const listenersBefore = process.listenerCount("SIGUSR2");
    let release = () => {};
    lifecycle.onStop("slow", () => new Promise<void>((resolve) => (release = resolve)));
    process.kill(process.pid, "SIGUSR2");
    await Bun.sleep(50);
    process.kill(process.pid, "SIGUSR2");
    await Bun.sleep(50);
    expect(forceExit).toHaveBeenCalledWith(1);
    release();
    expect(await lifecycle.stopped).toBe("SIGUSR2");
    expect(process.listenerCount("SIGUSR2")).toBe(listenersBefore - 1);
  });
});

test("a signal echoed within the grace period (Ctrl-C reaching every process of a group) is not a second signal", async () => {
  const forceExit = mock((_code: number) => {});
  const lifecycle = createLifecycle({
    logger: memoryLogger().logger,
    drainMs: 1000,
    signals: ["SIGUSR2"],
    forceExit,
    repeatGraceMs: 500,
  });
  let release = () => {};
  lifecycle.onStop("slow", () => new Promise<void>((resolve) => (release = resolve)));
  process.kill(process.pid, "SIGUSR2");
  await Bun.sleep(50);
  process.kill(process.pid, "SIGUSR2");
  await Bun.sleep(50);
  expect(forceExit).not.toHaveBeenCalled();
  release();
  expect(await lifecycle.stopped).toBe("SIGUSR2");
});

describe("drainServer", () => {
  test("a server that drains in time is stopped gracefully only", async () => {
    const calls: (boolean | undefined)[] = [];
    const drained = await drainServer({ stop: async (force) => void calls.push(force) }, 1000);
    expect(drained).toBe(true);
    expect(calls).toEqual([false]);
  });

  test("a server still busy after drainMs has its connections closed", async () => {
    const calls: (boolean | undefined)[] = [];
    const server = {
      stop: (force?: boolean) => {
        calls.push(force);
        return force ? Promise.resolve() : new Promise<void>(() => {});
      },
    };
    expect(await drainServer(server, 20)).toBe(false);
    expect(calls).toEqual([false, true]);
  });
});
