import { describe, expect, test } from "bun:test";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, relative } from "node:path";
import { logThroughWrapper } from "./fixtures/wrapper.ts";
import { createLogger, type LoggerOptions } from "./logger.ts";

const repoRoot = join(import.meta.dir, "../..");

/** The 1-based line of the marker comment in a file, so tests do not hard-code line numbers. */
function lineOf(file: string, marker: string): number {
  const index = readFileSync(file, "utf8")
    .split("\n")
    .findIndex((line) => line.includes(`// ${marker}`));
  if (index < 0) throw new Error(`marker ${marker} not found in ${file}`);
  return index + 1;
}

function capture(options: Partial<LoggerOptions> = {}) {
  const lines: string[] = [];
  const logger = createLogger({
    service: "users",
    version: "1.2.3",
    destination: { write: (line: string) => lines.push(line) },
    ...options,
  });
  return { logger, lines, json: () => lines.map((line) => JSON.parse(line) as Record<string, unknown>) };
}

const here = relative(process.cwd(), import.meta.path);

describe("createLogger", () => {
  test("each line is JSON with the level as a label, an ISO time, the service and the version", () => {
    const { logger, json } = capture();
    logger.warn({ orderId: 7 }, "late");
    const [entry] = json();
    expect(entry).toMatchObject({ level: "warn", service: "users", version: "1.2.3", orderId: 7, msg: "late" });
    expect(new Date(entry!.time as string).toISOString()).toBe(entry!.time as string);
  });

  test("caller is the source file and line of the code that called the log method", () => {
    const { logger, json } = capture();
    logger.info("hello"); // @direct-call
    expect(json()[0]!.caller).toBe(`${here}:${lineOf(import.meta.path, "@direct-call")}`);
  });

  test("a child logger carries requestId and traceId and still reports its own caller", () => {
    const { logger, json } = capture();
    const child = logger.child({ requestId: "req-1", traceId: "trace-1" });
    child.error("boom"); // @child-call
    expect(json()[0]).toMatchObject({
      requestId: "req-1",
      traceId: "trace-1",
      caller: `${here}:${lineOf(import.meta.path, "@child-call")}`,
    });
  });

  test("frames in ignored wrapper files are skipped so the wrapper's caller is reported", () => {
    const plain = capture();
    logThroughWrapper(plain.logger, "via wrapper");
    const wrapperFile = join(import.meta.dir, "fixtures/wrapper.ts");
    expect(plain.json()[0]!.caller).toBe(
      `${relative(process.cwd(), wrapperFile)}:${lineOf(wrapperFile, "@wrapper-line")}`,
    );

    const skipping = capture({ caller: { ignore: ["log/fixtures/wrapper.ts"] } });
    logThroughWrapper(skipping.logger, "via wrapper"); // @wrapper-caller
    expect(skipping.json()[0]!.caller).toBe(`${here}:${lineOf(import.meta.path, "@wrapper-caller")}`);
  });

  test("caller: false leaves the caller out", () => {
    const { logger, json } = capture({ caller: false });
    logger.info("quiet");
    expect(json()[0]).not.toHaveProperty("caller");
  });

  test("levels below the configured one write nothing", () => {
    const { logger, lines } = capture({ level: "warn" });
    logger.info("hidden");
    logger.debug("hidden");
    logger.warn("shown");
    expect(lines).toHaveLength(1);
  });

  test("pretty output is one readable line with level, message, bindings and caller", () => {
    const { logger, lines } = capture({ pretty: true });
    logger.child({ requestId: "r1" }).info({ note: "two words" }, "served"); // @pretty-call
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatch(
      new RegExp(
        `^\\d\\d:\\d\\d:\\d\\d\\.\\d{3} INFO  served requestId=r1 note="two words" \\(${here}:${lineOf(import.meta.path, "@pretty-call")}\\)\\n$`,
      ),
    );
  });

  test("a binary built with --compile --sourcemap reports the TypeScript source line as caller", async () => {
    const dir = mkdtempSync(join(tmpdir(), "log-binary-"));
    try {
      const binary = join(dir, "app");
      const entry = "shared/log/fixtures/compiled-main.ts";
      const build = Bun.spawnSync(["bun", "build", "--compile", "--sourcemap", entry, "--outfile", binary], {
        cwd: repoRoot,
        stderr: "pipe",
      });
      expect(build.exitCode).toBe(0);
      const run = Bun.spawn([binary], { cwd: dir, stdout: "pipe", env: { PATH: process.env.PATH ?? "" } });
      const output = await new Response(run.stdout).text();
      expect(await run.exited).toBe(0);
      const entryLine = lineOf(join(repoRoot, entry), "@binary-line");
      expect(JSON.parse(output)).toMatchObject({ service: "compiled", caller: `${entry}:${entryLine}` });
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
