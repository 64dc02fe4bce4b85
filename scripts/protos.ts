// The generated protos under proto/ (one file per service with endpoint contracts, see shared/grpc):
//   proto/shop/<svc>/v1/<svc>.proto      what shared/grpc generates from services/<svc>/src/<svc>.contract.ts
//   proto/shop/<svc>/v1/<svc>.lock.json  the field numbers, kept across regenerations
//   proto/buf.yaml                       the buf module: `buf lint` (STANDARD) and `buf breaking` (FILE)
// Used by scripts/gen.ts (write) and scripts/check.ts (drift, lint, breaking). buf is the npm package
// @bufbuild/buf's binary (node_modules/.bin/buf): it runs offline.
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { bufBin } from "../shared/build/buf.ts";
import { ROOT } from "../shared/build/compile.ts";
import {
  contractsIn,
  emptyLock,
  type GeneratedProto,
  generateProto,
  parseLock,
  renderLock,
} from "../shared/grpc/index.ts";
import type { DriftResult } from "./drift.ts";

/** The buf binary from npm (see shared/build/buf.ts). */
export { bufBin };

/** Services with a `src/<svc>.contract.ts` (the gateway has none). */
export function servicesWithContracts(root = ROOT): string[] {
  const dir = join(root, "services");
  if (!existsSync(dir)) return [];
  return readdirSync(dir)
    .filter((svc) => existsSync(join(dir, svc, "src", `${svc}.contract.ts`)))
    .sort();
}

/** What one service's proto generation reads and writes; the paths are overridable for tests. */
export interface ProtoTarget {
  service: string;
  /** Module whose exported contracts become rpcs (default services/<svc>/src/<svc>.contract.ts). */
  contractModule?: string;
  /** Folder holding `shop/...` (default proto/). */
  protoRoot?: string;
}

function readLock(file: string) {
  return existsSync(file) ? parseLock(readFileSync(file, "utf8"), file) : emptyLock();
}

/** Generates the service's proto from its contracts and the committed lockfile (writes nothing). */
export async function renderProtoOf(t: ProtoTarget): Promise<GeneratedProto & { protoPath: string; lockPath: string }> {
  const module = t.contractModule ?? join(ROOT, "services", t.service, "src", `${t.service}.contract.ts`);
  const contracts = contractsIn((await import(module)) as Record<string, unknown>);
  const base = t.protoRoot ?? join(ROOT, "proto");
  const probe = generateProto(t.service, contracts, emptyLock());
  const lockPath = join(base, probe.lockFile.replace(/^proto\//, ""));
  const generated = generateProto(t.service, contracts, readLock(lockPath));
  return { ...generated, protoPath: join(base, generated.protoFile.replace(/^proto\//, "")), lockPath };
}

/** Writes proto/shop/<svc>/v1/<svc>.proto and its lockfile; returns the proto's path. */
export async function writeProto(t: ProtoTarget): Promise<string> {
  const g = await renderProtoOf(t);
  mkdirSync(dirname(g.protoPath), { recursive: true });
  writeFileSync(g.protoPath, g.text);
  writeFileSync(g.lockPath, renderLock(g.lock));
  return g.protoPath;
}

/** Compares the committed proto and lockfile with what the contracts generate now. */
export async function checkProto(t: ProtoTarget): Promise<DriftResult> {
  const g = await renderProtoOf(t).catch((err: unknown) => err as Error);
  const name = `proto: ${t.service}`;
  if (g instanceof Error) return { name, ok: false, problems: [g.message] };
  const problems: string[] = [];
  const fix = "run `bun run gen` and commit proto/";
  if (!existsSync(g.protoPath)) problems.push(`${g.protoFile} is missing: ${fix}`);
  else if (readFileSync(g.protoPath, "utf8") !== g.text)
    problems.push(`${g.protoFile} differs from the contracts: ${fix}`);
  if (!existsSync(g.lockPath)) problems.push(`${g.lockFile} is missing: ${fix}`);
  else if (readFileSync(g.lockPath, "utf8") !== renderLock(g.lock))
    problems.push(`${g.lockFile} needs new numbers: ${fix}`);
  return { name, ok: problems.length === 0, problems };
}

/** Runs buf with `args` in `cwd`; its output is returned, not printed. */
export function runBuf(args: string[], cwd: string): { ok: boolean; output: string } {
  if (!existsSync(bufBin)) return { ok: false, output: `${bufBin} is missing: run \`bun install\` (@bufbuild/buf)` };
  const r = Bun.spawnSync([bufBin, ...args], {
    cwd,
    stdin: "ignore",
    stdout: "pipe",
    stderr: "pipe",
    timeout: 120_000,
  });
  return { ok: r.exitCode === 0, output: `${r.stdout.toString()}${r.stderr.toString()}`.trim() };
}

/** `buf lint` on the proto/ module. */
export function lintProtos(protoRoot = join(ROOT, "proto")): { ok: boolean; output: string } {
  return runBuf(["lint"], protoRoot);
}

function git(args: string[], cwd: string): { ok: boolean; out: string } {
  const r = Bun.spawnSync(["git", ...args], { cwd, stdin: "ignore", stdout: "pipe", stderr: "pipe" });
  return { ok: r.exitCode === 0, out: r.stdout.toString().trim() };
}

/** What `buf breaking` was run against, or why it was not. */
export interface BreakingResult {
  ok: boolean;
  /** `HEAD`, `HEAD~1`, or null when skipped. */
  against: string | null;
  output: string;
}

/**
 * `buf breaking` of the working tree's proto/ against the previous commit's: against HEAD while proto/
 * differs from HEAD (changes not committed yet), else against HEAD~1 (the last commit's changes). With no
 * such commit (a shallow clone, the first commit) or no proto/ in it, it is skipped with a message.
 */
export function breakingProtos(repo = ROOT): BreakingResult {
  const protoDir = join(repo, "proto");
  const dirty = git(["status", "--porcelain", "--", "proto"], repo);
  if (!dirty.ok) return { ok: true, against: null, output: "skipped: not a git checkout" };
  const against = dirty.out === "" ? "HEAD~1" : "HEAD";
  if (!git(["rev-parse", "--verify", "--quiet", `${against}^{commit}`], repo).ok) {
    return {
      ok: true,
      against: null,
      output: `skipped: ${against} is not in this clone (shallow, or the first commit)`,
    };
  }
  if (!git(["cat-file", "-e", `${against}:proto/buf.yaml`], repo).ok) {
    return { ok: true, against: null, output: `skipped: ${against} has no proto/ module yet` };
  }
  const base = mkdtempSync(join(tmpdir(), "buf-against-"));
  try {
    const files = git(["ls-tree", "-r", "--name-only", against, "--", "proto"], repo).out.split("\n").filter(Boolean);
    for (const file of files) {
      if (!file.endsWith(".proto") && !file.endsWith("buf.yaml")) continue;
      const show = Bun.spawnSync(["git", "show", `${against}:${file}`], { cwd: repo, stdout: "pipe", stderr: "pipe" });
      mkdirSync(dirname(join(base, file)), { recursive: true });
      writeFileSync(join(base, file), show.stdout);
    }
    const r = runBuf(["breaking", "--against", join(base, "proto")], protoDir);
    return { ok: r.ok, against, output: r.output };
  } finally {
    rmSync(base, { recursive: true, force: true });
  }
}
