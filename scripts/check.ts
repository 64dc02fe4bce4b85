#!/usr/bin/env bun
// `bun run check`: everything CI enforces, in one command, cheapest first:
//   format + lint (biome check), typecheck (tsc --noEmit -p .), import rules (scripts/import-rules.ts),
//   import cycles (scripts/cycles.ts), repeated code (scripts/copies.ts, jscpd), drift of openapi/
//   (scripts/drift.ts), lint of openapi/ (scripts/spec-lint.ts: Redocly, AsyncAPI parser), drift of proto/,
//   `buf lint` and `buf breaking` on proto/ (scripts/protos.ts), drift of drizzle/, then the tests
//   (scripts/test.ts). Every tool is a pinned devDependency and runs offline.
// Every step runs even when an earlier one failed, so one run shows every problem.
//   --no-tests   skip the tests (CI runs them separately through `npm test`)
//   --fix        let biome write its fixes first
import { join } from "node:path";
import { ROOT } from "../shared/build/compile.ts";
import { reportCopies } from "./copies.ts";
import { reportCycles } from "./cycles.ts";
import { checkAsyncapi, checkMigrations, checkOpenapi, servicesWithEntry, servicesWithSchema } from "./drift.ts";
import { checkTree } from "./import-rules.ts";
import { breakingProtos, checkProto, lintProtos, servicesWithContracts } from "./protos.ts";
import { reportSpecLint } from "./spec-lint.ts";

const args = new Set(process.argv.slice(2));
const bin = (name: string) => join(ROOT, "node_modules", ".bin", name);

/** Runs a command with inherited output; true when it exits 0. */
function run(cmd: string[]): boolean {
  const r = Bun.spawnSync(cmd, { cwd: ROOT, stdin: "ignore", stdout: "inherit", stderr: "inherit" });
  return r.exitCode === 0;
}

const steps: [string, () => boolean | Promise<boolean>][] = [
  ["format + lint", () => run([bin("biome"), "check", ...(args.has("--fix") ? ["--write"] : []), "."])],
  ["typecheck", () => run([bin("tsc"), "--noEmit", "-p", "."])],
  [
    "import rules",
    () => {
      const violations = checkTree(ROOT);
      for (const v of violations) console.error(`${v.file}: imports "${v.specifier}": ${v.rule}`);
      return violations.length === 0;
    },
  ],
  ["import cycles", () => reportCycles(ROOT)],
  ["copy-paste (jscpd, 10+ lines)", () => reportCopies(ROOT)],
  [
    "drift: openapi/",
    () => {
      const results = [...servicesWithEntry().map((service) => checkOpenapi({ service })), checkAsyncapi()];
      for (const r of results)
        console.log(`${r.ok ? "ok  " : "FAIL"} ${r.name}${r.ok ? "" : `\n  ${r.problems.join("\n  ")}`}`);
      return results.every((r) => r.ok);
    },
  ],
  ["lint: openapi/ (Redocly recommended, AsyncAPI parser)", () => reportSpecLint()],
  [
    "drift: proto/",
    async () => {
      const results = await Promise.all(servicesWithContracts().map((service) => checkProto({ service })));
      for (const r of results)
        console.log(`${r.ok ? "ok  " : "FAIL"} ${r.name}${r.ok ? "" : `\n  ${r.problems.join("\n  ")}`}`);
      return results.every((r) => r.ok);
    },
  ],
  [
    "lint: proto/ (buf lint, buf breaking)",
    () => {
      const lint = lintProtos();
      console.log(lint.ok ? "ok   buf lint" : `FAIL buf lint\n${lint.output}`);
      const breaking = breakingProtos();
      const against = breaking.against ? ` against ${breaking.against}` : "";
      console.log(
        `${breaking.ok ? "ok  " : "FAIL"} buf breaking${against}${breaking.output ? `\n${breaking.output}` : ""}`,
      );
      return lint.ok && breaking.ok;
    },
  ],
  [
    "drift: drizzle/",
    () => {
      const results = servicesWithSchema().map((service) => checkMigrations({ service }));
      if (results.length === 0) console.log("no services with a schema yet");
      for (const r of results)
        console.log(`${r.ok ? "ok  " : "FAIL"} ${r.name}${r.ok ? "" : `\n  ${r.problems.join("\n  ")}`}`);
      return results.every((r) => r.ok);
    },
  ],
];
if (!args.has("--no-tests")) steps.push(["tests", () => run([process.execPath, join(import.meta.dir, "test.ts")])]);

const failed: string[] = [];
for (const [name, step] of steps) {
  console.log(`\n== check: ${name}`);
  const started = performance.now();
  const ok = await step();
  console.log(`== check: ${name}: ${ok ? "ok" : "FAILED"} (${((performance.now() - started) / 1000).toFixed(1)} s)`);
  if (!ok) failed.push(name);
}
console.log(failed.length === 0 ? "\ncheck: all steps passed" : `\ncheck: FAILED: ${failed.join(", ")}`);
process.exit(failed.length === 0 ? 0 : 1);
