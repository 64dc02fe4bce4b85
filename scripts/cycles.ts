#!/usr/bin/env bun
// Import cycles among the source files under services/, shared/, scripts/ and bench/. Every import
// counts, type-only ones included (they couple two files just the same), and the `@shared/*` alias
// resolves as tsconfig.json maps it. Packages and files outside those folders are not followed.
// `bun scripts/cycles.ts [root]` prints each cycle and exits 1 when there is any.
import { readFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { importsOf, sourceFiles, targetOf } from "./import-rules.ts";

/** Repository-relative file -> the repository files it imports. */
export type ImportGraph = Map<string, string[]>;

const CANDIDATES = ["", ".ts", ".tsx", ".js", ".mjs", "/index.ts", "/index.tsx", "/index.js"];

/** The file of `files` an import of `specifier` from `fromFile` loads, or null (a package, an asset). */
export function resolveImport(fromFile: string, specifier: string, files: ReadonlySet<string>): string | null {
  const target = targetOf(fromFile, specifier);
  if (target === null) return null;
  for (const suffix of CANDIDATES) if (files.has(target + suffix)) return target + suffix;
  return null;
}

/** The import graph of the source files of `root`. */
export function importGraph(root: string): ImportGraph {
  const files = sourceFiles(root);
  const known = new Set(files);
  const graph: ImportGraph = new Map();
  for (const file of files) {
    const targets = new Set<string>();
    for (const spec of importsOf(readFileSync(join(root, file), "utf8"))) {
      const to = resolveImport(file, spec, known);
      if (to) targets.add(to);
    }
    graph.set(file, [...targets].sort());
  }
  return graph;
}

/** The groups of files that reach each other through imports (Tarjan), each sorted; acyclic files are left out. */
export function tangles(graph: ImportGraph): string[][] {
  const index = new Map<string, number>();
  const low = new Map<string, number>();
  const stack: string[] = [];
  const onStack = new Set<string>();
  const out: string[][] = [];
  let next = 0;
  const visit = (v: string): void => {
    index.set(v, next);
    low.set(v, next++);
    stack.push(v);
    onStack.add(v);
    for (const w of graph.get(v) ?? []) {
      if (!index.has(w)) {
        visit(w);
        low.set(v, Math.min(low.get(v)!, low.get(w)!));
      } else if (onStack.has(w)) low.set(v, Math.min(low.get(v)!, index.get(w)!));
    }
    if (low.get(v) !== index.get(v)) return;
    const group: string[] = [];
    let w: string;
    do {
      w = stack.pop()!;
      onStack.delete(w);
      group.push(w);
    } while (w !== v);
    if (group.length > 1 || (graph.get(v) ?? []).includes(v)) out.push(group.sort());
  };
  for (const v of [...graph.keys()].sort()) if (!index.has(v)) visit(v);
  return out.sort((a, b) => a[0]!.localeCompare(b[0]!));
}

/** The shortest import path from `from` back to itself inside `group` (breadth-first), as a list of files. */
function shortestLoop(graph: ImportGraph, group: Set<string>, from: string): string[] {
  const parent = new Map<string, string>();
  const queue = [from];
  for (let i = 0; i < queue.length; i++) {
    const v = queue[i]!;
    for (const w of graph.get(v) ?? []) {
      if (!group.has(w)) continue;
      if (w === from) {
        const path = [v];
        while (path[0] !== from) path.unshift(parent.get(path[0]!)!);
        return [...path, from];
      }
      if (!parent.has(w)) {
        parent.set(w, v);
        queue.push(w);
      }
    }
  }
  return [from, from];
}

/**
 * Every import cycle of `graph`, as `a -> b -> a` paths: for each tangle, the shortest loop through each
 * of its files, each loop once (rotated to start at its smallest file).
 */
export function findCycles(graph: ImportGraph): string[][] {
  const cycles: string[][] = [];
  const seen = new Set<string>();
  for (const group of tangles(graph)) {
    const members = new Set(group);
    for (const file of group) {
      const loop = shortestLoop(graph, members, file).slice(0, -1);
      const start = loop.indexOf([...loop].sort()[0]!);
      const rotated = [...loop.slice(start), ...loop.slice(0, start)];
      const key = rotated.join(" ");
      if (seen.has(key)) continue;
      seen.add(key);
      cycles.push([...rotated, rotated[0]!]);
    }
  }
  return cycles;
}

/** Prints each cycle of `root` as `cycle: a -> b -> a` on stderr; true when there is none. */
export function reportCycles(root: string): boolean {
  const cycles = findCycles(importGraph(root));
  for (const c of cycles) console.error(`cycle: ${c.join(" -> ")}`);
  console.log(cycles.length === 0 ? "import cycles: none" : `import cycles: ${cycles.length}`);
  return cycles.length === 0;
}

if (import.meta.main) {
  process.exit(reportCycles(resolve(process.argv[2] ?? join(import.meta.dir, ".."))) ? 0 : 1);
}
