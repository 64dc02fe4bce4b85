#!/usr/bin/env node
// Runs the Bun version pinned in package.json ("packageManager"), installing it from npm into .tools/
// when it is missing, and installs the project's dependencies from bun.lock when they are missing or
// stale. This is what lets a fresh machine with only Node and npm run `npm start` and `npm test`.
import { execFileSync, spawnSync } from "node:child_process";
import { createHash } from "node:crypto";
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { delimiter, dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

const root = join(dirname(fileURLToPath(import.meta.url)), "..");
const pkg = JSON.parse(readFileSync(join(root, "package.json"), "utf8"));
const wanted = String(pkg.packageManager).replace(/^bun@/, "");

function versionOf(bin) {
  try {
    return execFileSync(bin, ["--version"], { encoding: "utf8", stdio: ["ignore", "pipe", "ignore"] }).trim();
  } catch {
    return null;
  }
}

function localBun() {
  const modules = join(root, ".tools", "node_modules");
  // The `bun` package's postinstall moves the platform binary from @oven/bun-<platform>/bin/bun to
  // bun/bin/bun.exe (npm 11 runs it); where the postinstall did not run, it is still in @oven/.
  const candidates = [join(modules, "bun", "bin", "bun.exe")];
  const scope = join(modules, "@oven");
  if (existsSync(scope)) {
    // Prefer the plain build; the baseline build serves CPUs without AVX2.
    const dirs = readdirSync(scope).sort((a, b) => a.includes("baseline") - b.includes("baseline"));
    for (const d of dirs) candidates.push(join(scope, d, "bin", "bun"));
  }
  for (const bin of candidates) {
    if (existsSync(bin) && versionOf(bin) === wanted) return bin;
  }
  return null;
}

function findBun() {
  if (versionOf("bun") === wanted) return "bun";
  const found = localBun();
  if (found) return found;
  console.error(`[bootstrap] installing bun@${wanted} from npm into .tools/`);
  mkdirSync(join(root, ".tools"), { recursive: true });
  const r = spawnSync(
    "npm",
    ["install", "--prefix", join(root, ".tools"), "--no-save", "--no-audit", "--no-fund", `bun@${wanted}`],
    { stdio: "inherit" },
  );
  if (r.status !== 0) process.exit(r.status ?? 1);
  const bin = localBun();
  if (!bin) {
    console.error(`[bootstrap] bun@${wanted} did not install a runnable binary`);
    process.exit(1);
  }
  return bin;
}

function ensureDeps(bun) {
  const lock = readFileSync(join(root, "bun.lock"));
  const digest = createHash("sha256")
    .update(lock)
    .update(readFileSync(join(root, "package.json")))
    .digest("hex");
  const stamp = join(root, "node_modules", ".bootstrap-stamp");
  if (existsSync(stamp) && readFileSync(stamp, "utf8") === digest) return;
  console.error("[bootstrap] bun install --frozen-lockfile");
  const r = spawnSync(bun, ["install", "--frozen-lockfile"], { cwd: root, stdio: "inherit" });
  if (r.status !== 0) process.exit(r.status ?? 1);
  writeFileSync(stamp, digest);
}

// Scripts that call `bun` (or `bunx`) again must find the pinned one first: the installed binary may be
// named bun.exe, so put links with the usual names in .tools/bin and that folder first on the PATH.
function pathWith(bin) {
  const dir = join(root, ".tools", "bin");
  mkdirSync(dir, { recursive: true });
  for (const name of ["bun", "bunx"]) {
    const link = join(dir, name);
    rmSync(link, { force: true });
    symlinkSync(bin, link);
  }
  return `${dir}${delimiter}${process.env.PATH ?? ""}`;
}

const bun = findBun();
ensureDeps(bun);
const env = bun === "bun" ? process.env : { ...process.env, PATH: pathWith(bun) };
const r = spawnSync(bun, process.argv.slice(2), { cwd: root, stdio: "inherit", env });
process.exit(r.status ?? (r.signal ? 1 : 0));
