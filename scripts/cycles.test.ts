import { afterAll, describe, expect, test } from "bun:test";
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { findCycles, type ImportGraph, importGraph, resolveImport, tangles } from "./cycles.ts";

const ROOT = join(import.meta.dir, "..");

function tree(files: Record<string, string>): string {
  const root = mkdtempSync(join(tmpdir(), "cycles-"));
  for (const [path, text] of Object.entries(files)) {
    mkdirSync(dirname(join(root, path)), { recursive: true });
    writeFileSync(join(root, path), text);
  }
  return root;
}

const roots: string[] = [];
afterAll(() => {
  for (const root of roots) rmSync(root, { recursive: true, force: true });
});

// An acyclic tree using every way of naming a file: relative with `.ts`, the `@shared/*` alias to a
// folder's index.ts and to a file, a type-only import, a re-export and a package.
const ACYCLIC = {
  "shared/log/index.ts": 'export * from "./log.ts";\n',
  "shared/log/log.ts": 'import pino from "pino";\nexport const log = pino;\n',
  "shared/http/app.ts": 'import { log } from "@shared/log";\nimport type { X } from "@shared/log/log.ts";\n',
  "services/users/src/main.ts": 'import { app } from "@shared/http/app.ts";\nimport "./users.service.ts";\n',
  "services/users/src/users.service.ts": 'import type { Row } from "./users.model.ts";\n',
  "services/users/src/users.model.ts": "export type Row = { id: string };\n",
  "scripts/tool.ts": 'import { log } from "../shared/log/index.ts";\n',
};

describe("resolveImport", () => {
  const files = new Set(Object.keys(ACYCLIC));
  test("follows relative paths, the @shared alias, folder index files, and skips packages", () => {
    expect(resolveImport("shared/http/app.ts", "@shared/log", files)).toBe("shared/log/index.ts");
    expect(resolveImport("shared/http/app.ts", "@shared/log/log.ts", files)).toBe("shared/log/log.ts");
    expect(resolveImport("scripts/tool.ts", "../shared/log/index.ts", files)).toBe("shared/log/index.ts");
    expect(resolveImport("shared/log/log.ts", "pino", files)).toBeNull();
  });
});

describe("findCycles", () => {
  test("passes an acyclic tree", () => {
    const root = tree(ACYCLIC);
    roots.push(root);
    expect(findCycles(importGraph(root))).toEqual([]);
  });

  test("finds a new cycle, through the alias, a folder index and a type-only import, naming every file", () => {
    const root = tree({
      ...ACYCLIC,
      "shared/log/log.ts": 'import type { App } from "@shared/http/app.ts";\nexport const log = 1;\n',
    });
    roots.push(root);
    expect(findCycles(importGraph(root))).toEqual([
      ["shared/http/app.ts", "shared/log/log.ts", "shared/http/app.ts"],
      ["shared/http/app.ts", "shared/log/index.ts", "shared/log/log.ts", "shared/http/app.ts"],
    ]);
  });

  test("reports a ring of files as one loop and a file importing itself", () => {
    const graph: ImportGraph = new Map([
      ["a.ts", ["b.ts"]],
      ["b.ts", ["c.ts"]],
      ["c.ts", ["a.ts"]],
      ["d.ts", ["d.ts"]],
      ["e.ts", ["a.ts"]],
    ]);
    expect(tangles(graph)).toEqual([["a.ts", "b.ts", "c.ts"], ["d.ts"]]);
    expect(findCycles(graph)).toEqual([
      ["a.ts", "b.ts", "c.ts", "a.ts"],
      ["d.ts", "d.ts"],
    ]);
  });

  test("the command exits 1 and prints the cycle", () => {
    const root = tree({ "scripts/a.ts": 'import "./b.ts";\n', "scripts/b.ts": 'import "./a.ts";\n' });
    roots.push(root);
    const r = Bun.spawnSync([process.execPath, join(import.meta.dir, "cycles.ts"), root], { stderr: "pipe" });
    expect(r.exitCode).toBe(1);
    expect(r.stderr.toString()).toContain("cycle: scripts/a.ts -> scripts/b.ts -> scripts/a.ts");
  });

  test("this repository's graph resolves the alias (the services reach shared/)", () => {
    const graph = importGraph(ROOT);
    const importers = [...graph].filter(
      ([file, to]) => file.startsWith("services/") && to.some((t) => t.startsWith("shared/")),
    );
    expect(importers.length).toBeGreaterThan(0);
  });
});
