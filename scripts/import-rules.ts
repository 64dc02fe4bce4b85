#!/usr/bin/env bun
// The layer rules of STYLE.md, checked on every import (type-only ones included, since they couple
// layers just the same):
//   1. services/a/** never imports services/b/**
//   2. transport code (*.routes.ts, *.endpoints.ts, *.transport.ts) never imports drizzle-orm or postgres
//   3. service logic (*.service.ts) never imports hono, @hono/*, drizzle-orm, postgres or @nats-io/*
//   4. shared/** never imports services/**
// `bun scripts/import-rules.ts [root]` prints violations and exits 1 when there are any.
import { existsSync, readdirSync, readFileSync, statSync } from "node:fs";
import { dirname, join, relative, resolve, sep } from "node:path";

/** One broken rule: where, what was imported, and which rule forbids it. */
export interface Violation {
  file: string;
  specifier: string;
  rule: string;
}

const SOURCE = /\.(?:ts|tsx|mts|cts|js|mjs|cjs)$/;
const SKIP_DIRS = new Set(["node_modules", "dist", ".data", ".tools", ".git"]);
const ROOTS = ["services", "shared", "scripts", "bench"];

const transpiler = new Bun.Transpiler({ loader: "tsx" });
// Line-anchored so prose in strings rarely matches; catches `import type` and `export type`, which
// the transpiler's scanner drops because they vanish from the emitted JavaScript.
const STATIC = /^\s*(?:import|export)\s+(?:type\s+)?(?:[\w*${},\s]+?\s+from\s+)?["']([^"']+)["']/gm;

/** Every module specifier a source file imports, re-exports, `import()`s or `require()`s. */
export function importsOf(source: string): string[] {
  const found = new Set<string>();
  try {
    for (const imp of transpiler.scanImports(source)) found.add(imp.path);
  } catch {
    // A file that does not parse is the typechecker's to report; the regex below still applies.
  }
  for (const m of source.matchAll(STATIC)) found.add(m[1]!);
  return [...found];
}

/** The npm package a bare specifier names (`@hono/zod-openapi/x` -> `@hono/zod-openapi`), else null. */
export function packageOf(specifier: string): string | null {
  if (specifier.startsWith(".") || specifier.startsWith("/") || specifier.startsWith("@shared/")) return null;
  if (specifier.startsWith("node:") || specifier.startsWith("bun:") || specifier === "bun") return null;
  const parts = specifier.split("/");
  return specifier.startsWith("@") ? parts.slice(0, 2).join("/") : parts[0]!;
}

/** Repository-relative path (with `/`) an import points at, or null for packages. */
export function targetOf(fromFile: string, specifier: string): string | null {
  if (specifier.startsWith("@shared/")) return `shared/${specifier.slice("@shared/".length)}`;
  if (!specifier.startsWith(".")) return null;
  return join(dirname(fromFile), specifier).split(sep).join("/");
}

/** Transport files by their role suffix: HTTP routes, endpoint bindings, and the gateway's server transports. */
export const TRANSPORT = /\.(?:routes|endpoints|transport)\.[cm]?tsx?$/;
/** Service-logic files by their role suffix. */
export const SERVICE = /\.service\.[cm]?tsx?$/;
const TRANSPORT_BANNED = ["drizzle-orm", "postgres"];
const SERVICE_BANNED = (pkg: string) =>
  pkg === "hono" ||
  pkg.startsWith("@hono/") ||
  pkg === "drizzle-orm" ||
  pkg === "postgres" ||
  pkg.startsWith("@nats-io/");

/** Rules broken by one file (path relative to the repository root, with `/`) importing `specifiers`. */
export function checkFile(file: string, specifiers: string[]): Violation[] {
  const out: Violation[] = [];
  const ownService = file.match(/^services\/([^/]+)\//)?.[1];
  for (const specifier of specifiers) {
    const target = targetOf(file, specifier);
    const pkg = packageOf(specifier);
    const targetService = target?.match(/^services\/([^/]+)(?:\/|$)/)?.[1];
    if (ownService && targetService && targetService !== ownService) {
      out.push({ file, specifier, rule: `services/${ownService} may not import another service (${targetService})` });
    }
    if (file.startsWith("shared/") && target?.startsWith("services/")) {
      out.push({ file, specifier, rule: "shared/ may not import services/" });
    }
    if (pkg && TRANSPORT.test(file) && TRANSPORT_BANNED.includes(pkg)) {
      out.push({ file, specifier, rule: `transport code may not import ${pkg} (go through the service)` });
    }
    if (pkg && SERVICE.test(file) && SERVICE_BANNED(pkg)) {
      out.push({ file, specifier, rule: `service logic may not import ${pkg} (declare an interface instead)` });
    }
  }
  return out;
}

function walk(dir: string, files: string[]): void {
  for (const name of readdirSync(dir)) {
    const path = join(dir, name);
    const st = statSync(path);
    if (st.isDirectory()) {
      if (!SKIP_DIRS.has(name)) walk(path, files);
    } else if (SOURCE.test(name) && !name.endsWith(".d.ts")) files.push(path);
  }
}

/** Every source file under services/, shared/, scripts/ and bench/ of `root`, repository-relative with `/`, sorted. */
export function sourceFiles(root: string): string[] {
  const files: string[] = [];
  for (const top of ROOTS) if (existsSync(join(root, top))) walk(join(root, top), files);
  return files.map((path) => relative(root, path).split(sep).join("/")).sort();
}

/** Checks every source file under services/, shared/, scripts/ and bench/ of `root`. */
export function checkTree(root: string): Violation[] {
  const violations: Violation[] = [];
  for (const rel of sourceFiles(root)) {
    violations.push(...checkFile(rel, importsOf(readFileSync(join(root, rel), "utf8"))));
  }
  return violations;
}

if (import.meta.main) {
  const root = resolve(process.argv[2] ?? join(import.meta.dir, ".."));
  const violations = checkTree(root);
  for (const v of violations) console.error(`${v.file}: imports "${v.specifier}": ${v.rule}`);
  console.log(violations.length === 0 ? "import rules: ok" : `import rules: ${violations.length} violation(s)`);
  process.exit(violations.length === 0 ? 0 : 1);
}
