import { afterAll, describe, expect, test } from "bun:test";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { parseSummary, verdict } from "./test.ts";

const SAMPLE = `(pass) a [1ms]
(skip) b
(todo) c
(fail) d

 12 pass
 1 skip
 2 todo
 3 fail
 1 error
 40 expect() calls
Ran 18 tests across 4 files. [1.20s]
`;

describe("parseSummary", () => {
  test("reads every count of bun's closing summary", () => {
    expect(parseSummary(SAMPLE)).toEqual({ pass: 12, fail: 3, skip: 1, todo: 2, errors: 1, ran: 18, files: 4 });
  });

  test("reads a single file's summary and treats missing lines as zero", () => {
    expect(parseSummary(" 1 pass\n 0 fail\nRan 1 test across 1 file. [5ms]\n")).toEqual({
      pass: 1,
      fail: 0,
      skip: 0,
      todo: 0,
      errors: 0,
      ran: 1,
      files: 1,
    });
  });
});

describe("verdict", () => {
  const clean = { pass: 5, fail: 0, skip: 0, todo: 0, errors: 0, ran: 5, files: 1 };

  test("passes a clean run", () => {
    expect(verdict(clean, 0, true)).toEqual([]);
  });

  test("allows skips and todos locally but not in CI", () => {
    const skipped = { ...clean, skip: 1, todo: 1 };
    expect(verdict(skipped, 0, false)).toEqual([]);
    expect(verdict(skipped, 0, true)).toHaveLength(2);
  });

  test("fails a CI run in which no test ran", () => {
    expect(verdict({ ...clean, pass: 0, ran: 0 }, 0, true)).toEqual(["no test ran (not allowed in CI)"]);
  });

  test("fails on a non-zero exit code even when the counts look clean", () => {
    expect(verdict(clean, 1, false)).toEqual(["bun test exited with code 1"]);
  });
});

describe("scripts/test.ts as a command", () => {
  const dir = mkdtempSync(join(tmpdir(), "test-ts-"));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  function runOn(body: string, ci: boolean) {
    const file = join(dir, `case-${Math.random().toString(36).slice(2)}.test.ts`);
    writeFileSync(file, `import { test, expect } from "bun:test";\n${body}\n`);
    const env = { ...process.env, CI: ci ? "true" : "" };
    const r = Bun.spawnSync([process.execPath, join(import.meta.dir, "test.ts"), file], { env, stderr: "pipe" });
    const lines = r.stdout.toString().trimEnd().split("\n");
    return { code: r.exitCode, last: lines.at(-1) };
  }

  test("ends with the plain count line and exits 0 when all pass", () => {
    expect(runOn(`test("one", () => expect(1).toBe(1));`, true)).toEqual({
      code: 0,
      last: "1 passed, 0 failed, 0 skipped",
    });
  });

  test("exits 1 on a failing test", () => {
    expect(runOn(`test("one", () => expect(1).toBe(2));`, false)).toEqual({
      code: 1,
      last: "0 passed, 1 failed, 0 skipped",
    });
  });

  test("exits 1 in CI when a test was skipped, 0 outside CI", () => {
    const body = `test("one", () => {});\ntest.skip("two", () => {});`;
    expect(runOn(body, true)).toEqual({ code: 1, last: "1 passed, 0 failed, 1 skipped" });
    expect(runOn(body, false)).toEqual({ code: 0, last: "1 passed, 0 failed, 1 skipped" });
  });
});
