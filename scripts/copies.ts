#!/usr/bin/env bun
// Copy-paste detection with the pinned jscpd, on the settings of .jscpd.json (non-test TypeScript and
// JavaScript under shared/, services/, scripts/, bench/; a repeated run of 10 or more lines counts).
// A repeat kept on purpose is listed in .jscpd-ignore as `<file> <file> -- why`; anything else fails.
// `bun scripts/copies.ts [root]` prints each repeat and exits 1 when there is any.
import { existsSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { isAbsolute, join, relative, resolve, sep } from "node:path";

const JSCPD = join(import.meta.dir, "..", "node_modules", ".bin", "jscpd");

/** One place of a repeat: a file (repository-relative, with `/`) and its line range. */
export interface Place {
  file: string;
  start: number;
  end: number;
}

/** Two places with the same run of lines. */
export interface Copy {
  first: Place;
  second: Place;
  lines: number;
}

interface JscpdFile {
  name: string;
  start: number;
  end: number;
}

const rel = (root: string, name: string) => (isAbsolute(name) ? relative(root, name) : name).split(sep).join("/");

/** Runs jscpd in `root` with its .jscpd.json and returns every repeat it reports. */
export function findCopies(root: string): Copy[] {
  const out = mkdtempSync(join(tmpdir(), "jscpd-"));
  try {
    const r = Bun.spawnSync(
      [
        JSCPD,
        "--config",
        join(root, ".jscpd.json"),
        "--reporters",
        "json",
        "--output",
        out,
        "--silent",
        "--no-tips",
        "--absolute",
      ],
      {
        cwd: root,
        stdin: "ignore",
        stdout: "pipe",
        stderr: "pipe",
        timeout: 60_000,
        env: { ...process.env, JSCPD_NO_TIPS: "1" },
      },
    );
    const report = join(out, "jscpd-report.json");
    if (r.exitCode !== 0 || !existsSync(report)) {
      throw new Error(`jscpd failed (exit ${r.exitCode}): ${r.stderr.toString().trim() || r.stdout.toString().trim()}`);
    }
    const { duplicates } = JSON.parse(readFileSync(report, "utf8")) as {
      duplicates: { firstFile: JscpdFile; secondFile: JscpdFile; lines: number }[];
    };
    const place = (f: JscpdFile): Place => ({ file: rel(root, f.name), start: f.start, end: f.end });
    return duplicates.map((d) => ({ first: place(d.firstFile), second: place(d.secondFile), lines: d.lines }));
  } finally {
    rmSync(out, { recursive: true, force: true });
  }
}

/** An accepted repeat from .jscpd-ignore: the two files (in any order) and why they stay apart. */
export interface Accepted {
  files: [string, string];
  reason: string;
}

/** Reads `<file> <file> -- reason` lines (`#` starts a comment); a line without a reason is an error. */
export function parseIgnore(text: string): Accepted[] {
  const out: Accepted[] = [];
  for (const [i, raw] of text.split("\n").entries()) {
    const line = raw.replace(/#.*$/, "").trim();
    if (!line) continue;
    const m = /^(\S+)\s+(\S+)\s+--\s+(\S.*)$/.exec(line);
    if (!m) throw new Error(`.jscpd-ignore line ${i + 1}: expected \`<file> <file> -- why\`, got: ${raw}`);
    out.push({ files: [m[1]!, m[2]!], reason: m[3]! });
  }
  return out;
}

/** The repeats that no accepted pair covers. */
export function unaccepted(copies: Copy[], accepted: Accepted[]): Copy[] {
  const covered = (c: Copy) =>
    accepted.some(
      ({ files: [a, b] }) => (c.first.file === a && c.second.file === b) || (c.first.file === b && c.second.file === a),
    );
  return copies.filter((c) => !covered(c));
}

/** Prints each repeat of `root` that .jscpd-ignore does not accept; true when there is none. */
export function reportCopies(root: string): boolean {
  const ignoreFile = join(root, ".jscpd-ignore");
  const accepted = existsSync(ignoreFile) ? parseIgnore(readFileSync(ignoreFile, "utf8")) : [];
  const copies = findCopies(root);
  const left = unaccepted(copies, accepted);
  for (const c of left) {
    console.error(
      `copy: ${c.first.file}:${c.first.start}-${c.first.end} ~ ${c.second.file}:${c.second.start}-${c.second.end} (${c.lines} lines)`,
    );
  }
  const kept = copies.length - left.length;
  console.log(
    `${left.length === 0 ? "no repeated runs of 10+ lines" : `${left.length} repeated run(s) of 10+ lines: share the code, or list the pair in .jscpd-ignore with the reason`}${kept > 0 ? ` (${kept} accepted in .jscpd-ignore)` : ""}`,
  );
  return left.length === 0;
}

if (import.meta.main) {
  process.exit(reportCopies(resolve(process.argv[2] ?? join(import.meta.dir, ".."))) ? 0 : 1);
}
