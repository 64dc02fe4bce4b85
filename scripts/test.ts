#!/usr/bin/env bun
// `bun run test:all` (what `npm test` runs): every test in the repository through `bun test`, output
// streamed as it comes. End-to-end tests build the binaries they need themselves, once per run
// (shared/testing/binary.ts caches them in dist/test). Exits non-zero on any failure; with CI set it
// also fails when a test was skipped or left todo, or when no test ran. The last line printed is
// always `N passed, N failed, N skipped`.
//
// Extra arguments go to `bun test` (e.g. a path filter).

/** Counts read from bun's closing summary. */
export interface Summary {
  pass: number;
  fail: number;
  skip: number;
  todo: number;
  /** Errors outside any test (unhandled rejections, failing hooks, files that did not load). */
  errors: number;
  /** `Ran N tests across M files`, or null when bun printed no such line. */
  ran: number | null;
  files: number | null;
}

function lastCount(text: string, word: RegExp): number {
  let found = 0;
  for (const m of text.matchAll(new RegExp(`^\\s*(\\d+) ${word.source}\\s*$`, "gm"))) found = Number(m[1]);
  return found;
}

/**
 * Reads the summary bun test prints at the end (` 3 pass`, ` 1 fail`, ` 2 skip`, ` 1 todo`,
 * ` 1 error`, `Ran 7 tests across 2 files.`). Missing lines count as zero.
 */
export function parseSummary(output: string): Summary {
  const ran = [...output.matchAll(/^Ran (\d+) tests? across (\d+) files?/gm)].at(-1);
  return {
    pass: lastCount(output, /pass/),
    fail: lastCount(output, /fail/),
    skip: lastCount(output, /skip/),
    todo: lastCount(output, /todo/),
    errors: lastCount(output, /errors?/),
    ran: ran ? Number(ran[1]) : null,
    files: ran ? Number(ran[2]) : null,
  };
}

/** Why the run failed, or an empty list when it passed. */
export function verdict(summary: Summary, exitCode: number, ci: boolean): string[] {
  const problems: string[] = [];
  if (exitCode !== 0) problems.push(`bun test exited with code ${exitCode}`);
  if (summary.fail > 0) problems.push(`${summary.fail} test(s) failed`);
  if (summary.errors > 0) problems.push(`${summary.errors} error(s) outside tests`);
  if (ci) {
    if (summary.skip > 0) problems.push(`${summary.skip} test(s) skipped (not allowed in CI)`);
    if (summary.todo > 0) problems.push(`${summary.todo} test(s) marked todo (not allowed in CI)`);
    if ((summary.ran ?? 0) === 0 && summary.pass === 0) problems.push("no test ran (not allowed in CI)");
  }
  return problems;
}

async function pump(stream: ReadableStream<Uint8Array>, out: NodeJS.WriteStream, keep: string[]): Promise<void> {
  const decoder = new TextDecoder();
  for await (const chunk of stream) {
    out.write(chunk);
    keep.push(decoder.decode(chunk, { stream: true }));
  }
  keep.push(decoder.decode());
}

async function main(): Promise<number> {
  const ci = Boolean(process.env.CI) && process.env.CI !== "false" && process.env.CI !== "0";
  const args = process.argv.slice(2);
  const proc = Bun.spawn([process.execPath, "test", ...args], {
    cwd: `${import.meta.dir}/..`,
    stdin: "ignore",
    stdout: "pipe",
    stderr: "pipe",
    env: process.env,
  });
  const out: string[] = [];
  const err: string[] = [];
  await Promise.all([pump(proc.stdout, process.stdout, out), pump(proc.stderr, process.stderr, err)]);
  const code = await proc.exited;
  const summary = parseSummary(`${out.join("")}\n${err.join("")}`);
  const problems = verdict(summary, code, ci);
  console.log("");
  console.log(
    `test:all: ${summary.ran ?? 0} tests across ${summary.files ?? 0} files; ${summary.skip} skip, ${summary.todo} todo, ${summary.errors} errors${ci ? " (CI: skips and todos fail the run)" : ""}`,
  );
  for (const p of problems) console.log(`test:all: FAILED: ${p}`);
  // Errors outside tests count as failures here; todos count as skipped.
  const failed = summary.fail + summary.errors;
  console.log(`${summary.pass} passed, ${failed} failed, ${summary.skip + summary.todo} skipped`);
  return problems.length === 0 ? 0 : 1;
}

if (import.meta.main) process.exit(await main());
