import { afterAll, describe, expect, test } from "bun:test";
import { copyFileSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { findCopies, parseIgnore, reportCopies, unaccepted } from "./copies.ts";

const roots: string[] = [];
afterAll(() => {
  for (const root of roots) rmSync(root, { recursive: true, force: true });
});

/** A tree with the repository's own .jscpd.json and the given files. */
function tree(files: Record<string, string>): string {
  const root = mkdtempSync(join(tmpdir(), "copies-"));
  roots.push(root);
  copyFileSync(join(import.meta.dir, "..", ".jscpd.json"), join(root, ".jscpd.json"));
  for (const top of ["shared", "services", "scripts", "bench"]) mkdirSync(join(root, top));
  for (const [path, text] of Object.entries(files)) {
    mkdirSync(dirname(join(root, path)), { recursive: true });
    writeFileSync(join(root, path), text);
  }
  return root;
}

/** `n` distinct statements, the same wherever they are pasted. */
const run = (n: number) =>
  Array.from({ length: n }, (_, i) => `  total += weight(${i}) * price[${i}] - discount(${i});`).join("\n");
const fn = (name: string, n: number, other: string) =>
  `export function ${name}(price: number[]): number {\n  let total = ${other};\n${run(n)}\n  return total;\n}\n`;

describe("findCopies", () => {
  test("finds a run of 10 or more lines repeated in two source files, with both places", () => {
    const root = tree({ "shared/a/a.ts": fn("a", 12, "1"), "services/b/src/b.ts": fn("b", 12, "2") });
    const copies = findCopies(root);
    expect(copies).toHaveLength(1);
    expect([copies[0]!.first.file, copies[0]!.second.file].sort()).toEqual(["services/b/src/b.ts", "shared/a/a.ts"]);
    expect(copies[0]!.lines).toBeGreaterThanOrEqual(10);
  });

  test("ignores runs shorter than 10 lines, tests, fixtures and anything outside the source folders", () => {
    const root = tree({
      "shared/a/a.ts": fn("a", 12, "1"),
      "shared/a/short.ts": `export function s(price: number[]): number {\n  let total = 3;\n${run(7)}\n}\n`,
      "shared/a/a.test.ts": fn("t", 12, "4"),
      "scripts/fixtures/x/main.ts": fn("f", 12, "5"),
      "docs/example.ts": fn("d", 12, "6"),
    });
    expect(findCopies(root)).toEqual([]);
  });
});

describe("reportCopies", () => {
  test("fails on a repeat and passes once .jscpd-ignore lists the pair with a reason", () => {
    const root = tree({ "scripts/a.ts": fn("a", 12, "1"), "scripts/b.ts": fn("b", 12, "2") });
    expect(reportCopies(root)).toBe(false);
    writeFileSync(
      join(root, ".jscpd-ignore"),
      "# kept apart\nscripts/b.ts scripts/a.ts -- two benchmarks that must not share code\n",
    );
    expect(reportCopies(root)).toBe(true);
  });

  test("the command exits 1 and prints both places", () => {
    const root = tree({ "bench/a.ts": fn("a", 12, "1"), "bench/b.ts": fn("b", 12, "2") });
    const r = Bun.spawnSync([process.execPath, join(import.meta.dir, "copies.ts"), root], { stderr: "pipe" });
    expect(r.exitCode).toBe(1);
    expect(r.stderr.toString()).toMatch(/copy: bench\/a\.ts:\d+-\d+ ~ bench\/b\.ts:\d+-\d+ \(\d+ lines\)/);
  });
});

describe("parseIgnore", () => {
  test("reads pairs with reasons, skips comments, and refuses a pair without a reason", () => {
    const accepted = parseIgnore("# header\n\na.ts b.ts -- generated twice on purpose # note\n");
    expect(accepted).toEqual([{ files: ["a.ts", "b.ts"], reason: "generated twice on purpose" }]);
    expect(() => parseIgnore("a.ts b.ts\n")).toThrow("line 1");
    const copy = { first: { file: "b.ts", start: 1, end: 10 }, second: { file: "a.ts", start: 1, end: 10 }, lines: 10 };
    expect(unaccepted([copy], accepted)).toEqual([]);
  });
});
