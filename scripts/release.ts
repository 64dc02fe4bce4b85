#!/usr/bin/env bun
// `bun run release [--target T]... [svc...]`: one bundle per target in dist/release/:
// shop-<version>-<target>.tar.gz (binaries in bin/, deploy files, gateway.json, INSTALL.md, sbom.cdx.json,
// SHA256SUMS) and its .sha256. Targets: linux-x64, linux-arm64, linux-x64-musl, linux-arm64-musl (all by
// default); services: all by default. The work is done by shared/build/release.ts.
import { relative } from "node:path";
import { listServices, resolveVersion } from "../shared/build/compile.ts";
import { buildRelease } from "../shared/build/release.ts";
import { type ReleaseTarget, releaseTargetOf, releaseTargets } from "../shared/build/targets.ts";

const usage = `usage: bun run release [--target T]... [--outdir DIR] [service...]
targets: ${releaseTargets.join(", ")} (default: all)`;

/** The release command line, parsed. */
export interface ReleaseCli {
  targets: ReleaseTarget[];
  services: string[];
  outdir?: string;
  help: boolean;
}

/** Parses `release`'s arguments; an unknown target, option or service is an error naming it. */
export function parseReleaseArgs(argv: readonly string[], known: readonly string[]): ReleaseCli {
  const cli: ReleaseCli = { targets: [], services: [], help: false };
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    const value = () => {
      const v = argv[++i];
      if (v === undefined) throw new Error(`release: ${arg} needs a value`);
      return v;
    };
    if (arg === "--target") {
      const t = releaseTargetOf(value(), "release");
      if (!cli.targets.includes(t)) cli.targets.push(t);
    } else if (arg === "--outdir") cli.outdir = value();
    else if (arg === "--help" || arg === "-h") cli.help = true;
    else if (arg.startsWith("-")) throw new Error(`release: unknown option ${arg}`);
    else if (!known.includes(arg)) throw new Error(`release: no services/${arg}/src/main.ts`);
    else if (!cli.services.includes(arg)) cli.services.push(arg);
  }
  if (cli.targets.length === 0) cli.targets = [...releaseTargets];
  if (cli.services.length === 0) cli.services = [...known];
  return cli;
}

async function main(): Promise<void> {
  const cli = parseReleaseArgs(process.argv.slice(2), listServices());
  if (cli.help) {
    console.log(usage);
    return;
  }
  const bundles = await buildRelease({
    targets: cli.targets,
    services: cli.services,
    version: resolveVersion(),
    ...(cli.outdir ? { outdir: cli.outdir } : {}),
    log: (line) => console.log(line),
  });
  for (const b of bundles) {
    const mb = (b.bytes / 1024 / 1024).toFixed(1);
    console.log(`bundled ${relative(process.cwd(), b.path)} (${mb} MiB) sha256 ${b.sha256}`);
  }
}

if (import.meta.main) {
  main().catch((err: unknown) => {
    console.error(err instanceof Error ? err.message : err);
    process.exit(1);
  });
}
