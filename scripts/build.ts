#!/usr/bin/env bun
// `bun run build [svc...]`: compiles services/<svc>/src/main.ts into one self-contained executable per
// service, dist/<svc>-<version>-<os>-<arch>, with a sha256sum-format checksum file beside it.
// The work is done by shared/build/compile.ts; this is its command line.
//
// Options: --outdir DIR (default dist), --target T (cross-compile: linux-x64, linux-arm64, linux-x64-musl,
// linux-arm64-musl; the artifact name ends in it), --fixture NAME (build scripts/fixtures/NAME/main.ts instead
// of a service; used to test this pipeline), --no-bytecode, --no-minify.
import { relative } from "node:path";
import { buildBinary, fixtureEntry, listServices, resolveVersion, serviceEntry } from "../shared/build/compile.ts";
import { type ReleaseTarget, releaseTargetOf } from "../shared/build/targets.ts";

interface Cli {
  names: string[];
  fixtures: string[];
  outdir: string;
  bytecode: boolean;
  minify: boolean;
  target?: ReleaseTarget;
}

function parseArgs(argv: string[]): Cli {
  const cli: Cli = { names: [], fixtures: [], outdir: "dist", bytecode: true, minify: true };
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    const value = () => {
      const v = argv[++i];
      if (v === undefined) throw new Error(`build: ${arg} needs a value`);
      return v;
    };
    if (arg === "--outdir") cli.outdir = value();
    else if (arg === "--fixture") cli.fixtures.push(value());
    else if (arg === "--target") cli.target = releaseTargetOf(value(), "build");
    else if (arg === "--no-bytecode") cli.bytecode = false;
    else if (arg === "--no-minify") cli.minify = false;
    else if (arg === "--help" || arg === "-h") {
      console.log(
        "usage: bun run build [service...] [--outdir DIR] [--target T] [--fixture NAME] [--no-bytecode] [--no-minify]",
      );
      process.exit(0);
    } else if (arg.startsWith("-")) throw new Error(`build: unknown option ${arg}`);
    else cli.names.push(arg);
  }
  return cli;
}

async function main(): Promise<void> {
  const cli = parseArgs(process.argv.slice(2));
  const targets: { name: string; entry: string }[] = [];
  const known = listServices();
  const names = cli.names.length === 0 && cli.fixtures.length === 0 ? known : cli.names;
  for (const name of names) {
    if (!known.includes(name)) throw new Error(`build: no services/${name}/src/main.ts`);
    targets.push({ name, entry: serviceEntry(name) });
  }
  for (const name of cli.fixtures) targets.push({ name, entry: fixtureEntry(name) });
  if (targets.length === 0) {
    console.log("build: no services with src/main.ts yet; nothing to build");
    return;
  }
  const version = resolveVersion();
  for (const t of targets) {
    const started = performance.now();
    const bin = await buildBinary({
      ...t,
      version,
      outdir: cli.outdir,
      bytecode: cli.bytecode,
      minify: cli.minify,
      ...(cli.target ? { target: cli.target } : {}),
    });
    const ms = Math.round(performance.now() - started);
    const mb = (bin.bytes / 1024 / 1024).toFixed(1);
    console.log(`built ${relative(process.cwd(), bin.path)} (${mb} MiB, ${ms} ms) sha256 ${bin.sha256}`);
  }
}

if (import.meta.main) {
  main().catch((err: unknown) => {
    console.error(err instanceof Error ? err.message : err);
    process.exit(1);
  });
}
