import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { join } from "node:path";
import { createTestDatabase, type TestDatabase } from "@shared/testing";

const fixture = join(import.meta.dir, "fixtures/stray-rejection.ts");
let tdb: TestDatabase;

beforeAll(async () => {
  tdb = await createTestDatabase({ prefix: "rejections" });
});
afterAll(() => tdb.drop());

/** Runs the fixture to its end; its exit code and JSON log lines. */
async function run(env: Record<string, string>) {
  const proc = Bun.spawn(["bun", "run", fixture], {
    stdout: "ignore",
    stderr: "pipe",
    env: { ...process.env, FIXTURE_DB_URL: tdb.url, ...env },
  });
  const timer = setTimeout(() => proc.kill(), 15_000);
  const [code, text] = await Promise.all([proc.exited, new Response(proc.stderr).text()]);
  clearTimeout(timer);
  const logs = text
    .split("\n")
    .filter((l) => l.startsWith("{"))
    .map((l) => JSON.parse(l) as Record<string, unknown> & { err?: { code?: string; message?: string } });
  return { code, logs, text };
}

describe("unhandled rejections", () => {
  test("without the guard, the rejection postgres.js leaves behind kills the process (the defect guarded against)", async () => {
    const { code, logs } = await run({ FIXTURE_GUARD: "0" });
    expect(code).not.toBe(0);
    expect(logs.some((l) => l.event === "alive")).toBe(false);
  }, 20_000);

  test("with it, that rejection is logged as a warning and the process goes on and stops cleanly", async () => {
    const { code, logs } = await run({});
    expect(logs.find((l) => l.event === "query-failed")?.code).toBe("57014");
    const warning = logs.find((l) => l.level === "warn");
    expect(warning?.err?.code).toBe("57014");
    expect(logs.some((l) => l.event === "alive")).toBe(true);
    expect(code).toBe(0);
  }, 20_000);

  test("any other unhandled rejection is logged as an error and stops the process with exit code 1, steps run", async () => {
    const { code, logs } = await run({ FIXTURE_BUG: "1" });
    const error = logs.find((l) => l.level === "error");
    expect(error?.msg).toBe("unhandled promise rejection; stopping");
    expect(error?.err?.message).toBe("a bug nobody awaited");
    expect(logs.find((l) => l.msg === "stopping")?.reason).toBe("unhandled rejection");
    expect(logs.some((l) => l.step === "database" && l.msg === "stop step done")).toBe(true);
    expect(code).toBe(1);
  }, 20_000);
});
