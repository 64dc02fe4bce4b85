// Release bundles: for each target, every service's binary cross-compiled by the same buildBinary as
// `bun run build`, with the deploy files, an INSTALL.md, a CycloneDX SBOM and SHA256SUMS, packed into
// dist/release/shop-<version>-<target>.tar.gz with a `.sha256` beside it. Used by scripts/release.ts.
import { createHash } from "node:crypto";
import {
  cpSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  renameSync,
  rmSync,
  statSync,
  writeFileSync,
} from "node:fs";
import { basename, join, relative, resolve } from "node:path";
import { buildBinary, EXTERNAL, ROOT, serviceEntry } from "./compile.ts";
import { sbomFromBunLock } from "./sbom.ts";
import { elfMatchesTarget, type ReleaseTarget, readElf } from "./targets.ts";

/** Files of the repository that go into every bundle: source (relative to the root) -> place in the bundle. */
export const bundledFiles: readonly { from: string; to: string }[] = [
  { from: "deploy/systemd", to: "deploy/systemd" },
  { from: "deploy/k8s", to: "deploy/k8s" },
  { from: "services/gateway/gateway.json", to: "gateway.json" },
  { from: "deploy/INSTALL.md", to: "INSTALL.md" },
];

/** Options of {@link buildRelease}. */
export interface ReleaseOptions {
  targets: readonly ReleaseTarget[];
  services: readonly string[];
  version: string;
  /** Where bundles go; default dist/release. */
  outdir?: string;
  /** Progress lines; default none. */
  log?: (line: string) => void;
}

/** One bundle written. */
export interface ReleaseBundle {
  target: ReleaseTarget;
  /** The .tar.gz file. */
  path: string;
  sha256: string;
  bytes: number;
  /** Top folder inside the tarball: `shop-<version>-<target>`. */
  folder: string;
}

function sha256File(path: string): string {
  return createHash("sha256").update(readFileSync(path)).digest("hex");
}

function filesUnder(dir: string): string[] {
  const out: string[] = [];
  for (const name of readdirSync(dir).sort()) {
    const p = join(dir, name);
    if (statSync(p).isDirectory()) out.push(...filesUnder(p));
    else out.push(p);
  }
  return out;
}

/** `SHA256SUMS` in sha256sum's format for every file of a folder, so `sha256sum -c SHA256SUMS` runs inside it. */
export function writeChecksums(dir: string): string {
  const lines = filesUnder(dir)
    .filter((p) => basename(p) !== "SHA256SUMS")
    .map((p) => `${sha256File(p)}  ${relative(dir, p)}`);
  const file = join(dir, "SHA256SUMS");
  writeFileSync(file, `${lines.join("\n")}\n`);
  return file;
}

async function run(cmd: string[], cwd: string): Promise<void> {
  const proc = Bun.spawn(cmd, { cwd, stdout: "ignore", stderr: "pipe" });
  const [code, err] = await Promise.all([proc.exited, new Response(proc.stderr).text()]);
  if (code !== 0) throw new Error(`release: ${cmd.join(" ")} failed (${code}): ${err.trim()}`);
}

async function bundleOne(target: ReleaseTarget, opts: ReleaseOptions, outdir: string): Promise<ReleaseBundle> {
  const log = opts.log ?? (() => {});
  const folder = `shop-${opts.version}-${target}`;
  const stage = join(outdir, folder);
  rmSync(stage, { recursive: true, force: true });
  mkdirSync(join(stage, "bin"), { recursive: true });
  const scratch = mkdtempSync(join(outdir, `.build-${target}-`));
  try {
    for (const name of opts.services) {
      const started = performance.now();
      const built = await buildBinary({
        name,
        entry: serviceEntry(name),
        version: opts.version,
        outdir: scratch,
        target,
      });
      const bin = join(stage, "bin", name);
      renameSync(built.path, bin);
      // A wrong runtime would only show on the host it is copied to: check the header now.
      const elf = readElf(bin);
      if (!elfMatchesTarget(elf, target)) {
        throw new Error(`release: ${name} for ${target} has machine ${elf.machine}, interpreter ${elf.interpreter}`);
      }
      log(
        `${target}: built bin/${name} (${(built.bytes / 1024 / 1024).toFixed(1)} MiB, ${Math.round(performance.now() - started)} ms)`,
      );
    }
  } finally {
    rmSync(scratch, { recursive: true, force: true });
  }
  for (const { from, to } of bundledFiles) {
    const src = join(ROOT, from);
    if (!existsSync(src)) throw new Error(`release: ${from} is missing`);
    // Deploy folders hold their tests and test helpers too; only the files ops use go in.
    cpSync(src, join(stage, to), { recursive: true, filter: (p) => !p.endsWith(".ts") });
  }
  writeFileSync(join(stage, "VERSION"), `${opts.version}\n`);
  const sbom = sbomFromBunLock({
    lockText: await Bun.file(join(ROOT, "bun.lock")).text(),
    name: "shop",
    version: opts.version,
    exclude: EXTERNAL,
  });
  writeFileSync(join(stage, "sbom.cdx.json"), `${JSON.stringify(sbom, null, 2)}\n`);
  writeChecksums(stage);
  const tarball = join(outdir, `${folder}.tar.gz`);
  // Owner and order fixed, so the listing does not depend on who built it or the file system's order.
  await run(["tar", "--sort=name", "--owner=0", "--group=0", "--numeric-owner", "-czf", tarball, folder], outdir);
  rmSync(stage, { recursive: true, force: true });
  const sha256 = sha256File(tarball);
  writeFileSync(`${tarball}.sha256`, `${sha256}  ${basename(tarball)}\n`);
  return { target, path: tarball, sha256, bytes: statSync(tarball).size, folder };
}

/**
 * Builds one bundle per target (sequentially: each holds every binary, over 100 MiB apiece).
 *
 * @example
 * ```ts
 * await buildRelease({ targets: ["linux-arm64"], services: ["catalog"], version: "1.2.3" });
 * // dist/release/shop-1.2.3-linux-arm64.tar.gz and .tar.gz.sha256
 * ```
 */
export async function buildRelease(opts: ReleaseOptions): Promise<ReleaseBundle[]> {
  if (opts.targets.length === 0) throw new Error("release: no target");
  if (opts.services.length === 0) throw new Error("release: no service");
  const outdir = resolve(ROOT, opts.outdir ?? join("dist", "release"));
  mkdirSync(outdir, { recursive: true });
  const bundles: ReleaseBundle[] = [];
  for (const target of opts.targets) bundles.push(await bundleOne(target, opts, outdir));
  return bundles;
}
