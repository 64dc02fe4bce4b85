// Helpers for end-to-end tests against compiled binaries: build a service once per test run, copy
// the executable alone into an empty folder, start it on a free loopback port and wait until ready.
import {
  chmodSync,
  copyFileSync,
  existsSync,
  linkSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  renameSync,
  rmSync,
  statSync,
  writeFileSync,
} from "node:fs";
import { tmpdir } from "node:os";
import { basename, dirname, join } from "node:path";
import { artifactPath, buildBinary, ROOT, resolveVersion, serviceEntry } from "../build/compile.ts";
import { hostTarget } from "../build/targets.ts";
import { freePort } from "../db/embedded.ts";

/** A TCP port on 127.0.0.1 that was free a moment ago (the kit's one, from `@shared/db`). */
export { freePort };

/** Options for {@link buildService}. */
export interface BuildServiceOptions {
  /** Version to inject; defaults to the one `bun run build` would use. */
  version?: string;
  /** Entry file; defaults to `services/<name>/src/main.ts`. */
  entry?: string;
  /** Where binaries go; defaults to `dist/test` in the repository. */
  outdir?: string;
}

const building = new Map<string, Promise<string>>();

/** Newest modification time (ms) of any file under the given paths, skipping dependency folders. */
function newestMtime(paths: string[]): number {
  let newest = 0;
  const walk = (p: string) => {
    if (!existsSync(p)) return;
    const st = statSync(p);
    if (st.isDirectory()) {
      for (const name of readdirSync(p)) {
        if (name === "node_modules" || name === ".data" || name.startsWith(".git")) continue;
        walk(join(p, name));
      }
    } else if (st.mtimeMs > newest) newest = st.mtimeMs;
  };
  for (const p of paths) walk(p);
  return Math.floor(newest);
}

/**
 * Compiles a service (or any entry point) once per test run and returns the executable's path.
 * A binary already on disk is reused while its version and the sources' newest mtime are unchanged,
 * so several test files (and repeated runs) share one build.
 *
 * @example
 * ```ts
 * const bin = await buildService("users", { version: "9.9.9-test" });
 * ```
 */
export function buildService(name: string, opts: BuildServiceOptions = {}): Promise<string> {
  const version = opts.version ?? resolveVersion();
  const entry = opts.entry ?? serviceEntry(name);
  const outdir = opts.outdir ?? join(ROOT, "dist", "test");
  const key = `${name}\0${version}\0${entry}\0${outdir}`;
  let pending = building.get(key);
  if (!pending) {
    pending = buildIfStale(name, version, entry, outdir);
    building.set(key, pending);
    pending.catch(() => building.delete(key));
  }
  return pending;
}

async function buildIfStale(name: string, version: string, entry: string, outdir: string): Promise<string> {
  const target = artifactPath(name, version, outdir);
  const inputs = [
    dirname(dirname(entry)),
    join(ROOT, "shared"),
    join(ROOT, "drizzle"),
    join(ROOT, "proto"),
    join(ROOT, "bun.lock"),
  ];
  const stamp = `${target}.stamp`;
  const wanted = `${version} ${newestMtime(inputs)} ${entry}`;
  if (existsSync(target) && existsSync(stamp) && (await Bun.file(stamp).text()) === wanted) return target;
  // Build into a private folder and rename, so parallel test workers never see half a binary.
  mkdirSync(outdir, { recursive: true });
  const scratch = mkdtempSync(join(outdir, `.build-${name}-`));
  try {
    const built = await buildBinary({ name, entry, version, outdir: scratch });
    renameSync(built.path, target);
    renameSync(`${built.path}.sha256`, `${target}.sha256`);
    writeFileSync(stamp, wanted);
  } finally {
    rmSync(scratch, { recursive: true, force: true });
  }
  pruneOld(outdir, name, target);
  return target;
}

/** Binaries of one name kept in a test output folder; each is over 100 MiB and versions pile up. */
const KEEP_BUILDS = 4;

function pruneOld(outdir: string, name: string, keep: string): void {
  const suffix = `-${hostTarget()}`;
  const builds = readdirSync(outdir)
    .filter((f) => f.startsWith(`${name}-`) && f.endsWith(suffix))
    .map((f) => join(outdir, f))
    .filter((p) => p !== keep)
    .sort((a, b) => statSync(b).mtimeMs - statSync(a).mtimeMs);
  // Deleting a binary another test is running is safe on Linux: the running process keeps its inode.
  for (const old of builds.slice(KEEP_BUILDS - 1)) {
    for (const f of [old, `${old}.sha256`, `${old}.stamp`]) rmSync(f, { force: true });
  }
}

/**
 * Copies an executable alone into a fresh empty temporary folder and returns its new path, to prove
 * it needs nothing from the source tree.
 *
 * @example
 * ```ts
 * const alone = copyAlone(await buildService("users"));
 * ```
 */
export function copyAlone(binaryPath: string): string {
  const dir = mkdtempSync(join(tmpdir(), "alone-"));
  const target = join(dir, basename(binaryPath));
  // A hard link is the same file without another 115 MB on disk; across file systems it is a copy.
  try {
    linkSync(binaryPath, target);
  } catch {
    copyFileSync(binaryPath, target);
  }
  chmodSync(target, 0o755);
  removeStaleCopies(tmpdir());
  return target;
}

/** How old a folder of `copyAlone` must be before a later run removes it (no test runs this long). */
const STALE_COPY_MS = 2 * 60 * 60 * 1000;

/**
 * Removes folders `copyAlone` made more than two hours ago. bun test fires no `exit` event, so a run cannot
 * clean up after itself; the next one does, and a hard link left behind would keep a rotated build on disk.
 */
function removeStaleCopies(dir: string): void {
  const now = Date.now();
  for (const name of readdirSync(dir)) {
    if (!name.startsWith("alone-")) continue;
    const path = join(dir, name);
    try {
      if (now - statSync(path).mtimeMs > STALE_COPY_MS) rmSync(path, { recursive: true, force: true });
    } catch {
      // gone already, or another run's: either way not ours to report
    }
  }
}

/** Options for {@link startBinary}. */
export interface StartBinaryOptions {
  path: string;
  args?: string[];
  /** Extra environment. `PORT` is set to the chosen port unless given here. */
  env?: Record<string, string | undefined>;
  /** Pass this process's environment through as well (default false: only PATH, HOME, TZ, LANG). */
  inheritEnv?: boolean;
  /** Working directory; defaults to the binary's folder. */
  cwd?: string;
  /** Port to use; defaults to a free one. */
  port?: number;
  /** Paths polled for a 200, in order of preference; a 404 moves on to the next (default readyz, healthz). */
  readyPaths?: string[];
  /** Give up (and kill the process) after this long (default 20 s). */
  timeoutMs?: number;
}

/** A running binary started by {@link startBinary}. */
export interface RunningBinary {
  url: string;
  port: number;
  pid: number;
  /** Output lines so far; they keep growing while the process runs. */
  stdout: string[];
  stderr: string[];
  /** Resolves with the exit code (128 + signal number when killed by a signal). */
  exited: Promise<number>;
  /** Sends the signal (default SIGTERM) and waits for exit; SIGKILL after `killAfterMs` (default 10 s). */
  stop(signal?: NodeJS.Signals, killAfterMs?: number): Promise<number>;
  /** Waits until a stdout or stderr line matches. */
  waitForLine(pattern: RegExp, timeoutMs?: number): Promise<string>;
}

const SIGNALS: Record<string, number> = { SIGHUP: 1, SIGINT: 2, SIGKILL: 9, SIGTERM: 15 };

function collectLines(stream: ReadableStream<Uint8Array>, lines: string[], onLine: () => void): Promise<void> {
  const decoder = new TextDecoder();
  let partial = "";
  return (async () => {
    for await (const chunk of stream) {
      partial += decoder.decode(chunk, { stream: true });
      const parts = partial.split("\n");
      partial = parts.pop() ?? "";
      if (parts.length > 0) {
        lines.push(...parts);
        onLine();
      }
    }
    partial += decoder.decode();
    if (partial !== "") {
      lines.push(partial);
      onLine();
    }
  })();
}

/**
 * Starts an executable on a free loopback port (passed as `PORT`) and resolves once `/readyz` (or
 * `/healthz`) answers 200. Fails with the process's output if it exits or times out first.
 *
 * @example
 * ```ts
 * const app = await startBinary({ path: alone, args: ["serve"], env: { DATABASE_URL: url } });
 * expect((await fetch(`${app.url}/readyz`)).status).toBe(200);
 * expect(await app.stop()).toBe(0);
 * ```
 */
export async function startBinary(opts: StartBinaryOptions): Promise<RunningBinary> {
  const port = opts.port ?? (await freePort());
  const base: Record<string, string | undefined> = opts.inheritEnv
    ? { ...process.env }
    : { PATH: process.env.PATH, HOME: process.env.HOME, TZ: process.env.TZ, LANG: process.env.LANG };
  const env: Record<string, string> = {};
  for (const [k, v] of Object.entries({ ...base, PORT: String(port), ...opts.env })) if (v !== undefined) env[k] = v;

  const proc = Bun.spawn([opts.path, ...(opts.args ?? [])], {
    cwd: opts.cwd ?? dirname(opts.path),
    env,
    stdin: "ignore",
    stdout: "pipe",
    stderr: "pipe",
  });
  const stdout: string[] = [];
  const stderr: string[] = [];
  const waiters = new Set<() => void>();
  const notify = () => {
    for (const w of waiters) w();
  };
  const drained = Promise.all([collectLines(proc.stdout, stdout, notify), collectLines(proc.stderr, stderr, notify)]);
  let done = false;
  const exited = proc.exited.then(async (code) => {
    await drained.catch(() => {});
    done = true;
    notify();
    return proc.signalCode ? 128 + (SIGNALS[proc.signalCode] ?? 0) : code;
  });

  const url = `http://127.0.0.1:${port}`;
  const output = () => `--- stdout\n${stdout.join("\n")}\n--- stderr\n${stderr.join("\n")}`;
  const running: RunningBinary = {
    url,
    port,
    pid: proc.pid,
    stdout,
    stderr,
    exited,
    async stop(signal = "SIGTERM", killAfterMs = 10_000) {
      if (!done) proc.kill(signal);
      const timer = setTimeout(() => proc.kill("SIGKILL"), killAfterMs);
      try {
        return await exited;
      } finally {
        clearTimeout(timer);
      }
    },
    waitForLine(pattern, timeoutMs = 10_000) {
      return new Promise((resolve, reject) => {
        const check = () => {
          const hit = [...stdout, ...stderr].find((l) => pattern.test(l));
          if (hit !== undefined) finish(() => resolve(hit));
          else if (done)
            finish(() => reject(new Error(`process exited before a line matched ${pattern}\n${output()}`)));
        };
        const timer = setTimeout(
          () => finish(() => reject(new Error(`no line matched ${pattern} in ${timeoutMs} ms\n${output()}`))),
          timeoutMs,
        );
        const finish = (f: () => void) => {
          clearTimeout(timer);
          waiters.delete(check);
          f();
        };
        waiters.add(check);
        check();
      });
    },
  };

  const readyPaths = opts.readyPaths ?? ["/readyz", "/healthz"];
  const deadline = Date.now() + (opts.timeoutMs ?? 20_000);
  let pathIndex = 0;
  let last = "no answer yet";
  while (Date.now() < deadline) {
    if (done) throw new Error(`${basename(opts.path)} exited with ${await exited} before it was ready\n${output()}`);
    const path = readyPaths[pathIndex]!;
    try {
      const res = await fetch(url + path, { signal: AbortSignal.timeout(1000) });
      await res.arrayBuffer();
      if (res.status === 200) return running;
      last = `${path} answered ${res.status}`;
      if (res.status === 404 && pathIndex < readyPaths.length - 1) pathIndex++;
    } catch (err) {
      last = `${path}: ${err instanceof Error ? err.message : String(err)}`;
    }
    await Bun.sleep(20);
  }
  await running.stop("SIGKILL");
  throw new Error(`${basename(opts.path)} was not ready within ${opts.timeoutMs ?? 20_000} ms (${last})\n${output()}`);
}
