#!/usr/bin/env bun
// Lints the committed API documents, offline, with the pinned tools:
//   openapi/<svc>.json   Redocly CLI's `recommended` ruleset (redocly.yaml): any error fails, warnings are listed
//   openapi/asyncapi.json  @asyncapi/parser's validation: any error fails, warnings and hints are listed
// `bun scripts/spec-lint.ts [file...]` lints the given files (default: every document in openapi/).
import { readdirSync, readFileSync } from "node:fs";
import { basename, join, relative, resolve } from "node:path";
import { DiagnosticSeverity, Parser } from "@asyncapi/parser";

const ROOT = join(import.meta.dir, "..");
const REDOCLY = join(ROOT, "node_modules", "@redocly", "cli", "bin", "cli.js");

/** What linting found: ok when no error; `output` is what to show a person. */
export interface LintResult {
  ok: boolean;
  output: string;
}

/** The OpenAPI documents in `dir` (every `*.json` but asyncapi.json), sorted. */
export function openapiFiles(dir = join(ROOT, "openapi")): string[] {
  return readdirSync(dir)
    .filter((f) => f.endsWith(".json") && f !== "asyncapi.json")
    .sort()
    .map((f) => join(dir, f));
}

/**
 * Runs `redocly lint` with the repository's redocly.yaml (the `recommended` rules) on `files`; fails on
 * any error. Telemetry and the update check are off, so it needs no network.
 */
export function lintOpenapi(files: string[]): LintResult {
  const r = Bun.spawnSync(
    [process.execPath, REDOCLY, "lint", "--config", join(ROOT, "redocly.yaml"), "--format", "stylish", ...files],
    {
      cwd: ROOT,
      stdin: "ignore",
      stdout: "pipe",
      stderr: "pipe",
      timeout: 60_000,
      env: { ...process.env, REDOCLY_TELEMETRY: "off", REDOCLY_SUPPRESS_UPDATE_NOTICE: "true", NO_COLOR: "1" },
    },
  );
  // Progress lines and the hint to ignore every problem say nothing about the documents.
  const output = `${r.stdout.toString()}\n${r.stderr.toString()}`
    .split("\n")
    .filter((l) => !/^validating .*\.\.\.$|: validated in \d+ms$|--generate-ignore-file/.test(l))
    .join("\n")
    .replace(/\n{3,}/g, "\n\n")
    .trim();
  return { ok: r.exitCode === 0, output };
}

const SEVERITY: Record<number, string> = {
  [DiagnosticSeverity.Error]: "error",
  [DiagnosticSeverity.Warning]: "warning",
  [DiagnosticSeverity.Information]: "info",
  [DiagnosticSeverity.Hint]: "hint",
};

/** Validates an AsyncAPI document (its text) with @asyncapi/parser; fails on any error-level diagnostic. */
export async function lintAsyncapi(text: string, name = "asyncapi.json"): Promise<LintResult> {
  const diagnostics = await new Parser().validate(text);
  const lines = diagnostics
    .sort((a, b) => a.severity - b.severity)
    .map((d) => `  ${SEVERITY[d.severity] ?? d.severity}  ${d.code}  ${d.message}  (at ${d.path.join(".") || "/"})`);
  const errors = diagnostics.filter((d) => d.severity === DiagnosticSeverity.Error).length;
  const summary = `${name}: ${errors} error(s), ${diagnostics.length - errors} other diagnostic(s)`;
  return { ok: errors === 0, output: [summary, ...lines].join("\n") };
}

/** Lints every document of openapi/ (or `files`), printing what each tool says; true when none has an error. */
export async function reportSpecLint(files?: string[]): Promise<boolean> {
  const all = files ?? [...openapiFiles(), join(ROOT, "openapi", "asyncapi.json")];
  const asyncapi = all.filter((f) => basename(f) === "asyncapi.json");
  const openapi = all.filter((f) => !asyncapi.includes(f));
  let ok = true;
  if (openapi.length > 0) {
    const r = lintOpenapi(openapi);
    console.log(r.output);
    ok &&= r.ok;
  }
  for (const file of asyncapi) {
    const r = await lintAsyncapi(readFileSync(file, "utf8"), relative(ROOT, file));
    console.log(r.output);
    ok &&= r.ok;
  }
  return ok;
}

if (import.meta.main) {
  const files = process.argv.slice(2).map((f) => resolve(f));
  process.exit((await reportSpecLint(files.length > 0 ? files : undefined)) ? 0 : 1);
}
