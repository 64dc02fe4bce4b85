/**
 * Finds the source `file:line` of the code that called a log method.
 *
 * Measured on Bun 1.4.5: `Error.captureStackTrace(holder, fn)` drops every frame above and including
 * `fn`, and call sites are already mapped through the source map, both under `bun run` (absolute
 * `.ts` paths) and in a binary built with `bun build --compile --sourcemap` (paths relative to the
 * build root). Without `--sourcemap` a binary only reports `/$bunfs/root/<binary>:<bundled line>`.
 * Asking for structured call sites (prepareStackTrace) avoids formatting and parsing the stack text.
 * JSC does proper tail calls in strict code (all ES modules): a log call in tail position
 * (`return log.info(...)`, `(err) => log.error(err)`) leaves no frame for its caller, so the caller's
 * caller is reported, or nothing from a promise callback. Write log calls as statements, or run with
 * `BUN_JSC_useTailCalls=0` in the environment (works for `bun run` and compiled binaries).
 */

interface CallSite {
  getFileName(): string | undefined | null;
  getLineNumber(): number | null;
}

/** Options of `createCallerResolver`. */
export interface CallerOptions {
  /** Absolute paths under this directory are shown relative to it (default: the working directory). */
  root?: string;
  /** Frames whose file contains one of these fragments are skipped (logging wrappers). */
  ignore?: readonly string[];
  /** How many frames to capture at most: one for the caller plus room for skipped wrappers. */
  depth?: number;
}

const captureHolder = (): { stack?: unknown } => ({});
const asCallSites = (_err: Error, sites: unknown) => sites;

/** Returns a function that gives the `file:line` of whoever called `below` (e.g. `logger.info`). */
export function createCallerResolver(options: CallerOptions = {}) {
  const root = `${(options.root ?? process.cwd()).replace(/\/$/, "")}/`;
  const ignore = options.ignore ?? [];
  const depth = options.depth ?? 1 + ignore.length * 2;
  // File names repeat endlessly; shortening each one once keeps the per-call work to the capture.
  const shortNames = new Map<string, string>();
  const shorten = (file: string): string => {
    let short = shortNames.get(file);
    if (short === undefined) {
      short = file.startsWith("file://") ? file.slice(7) : file;
      if (short.startsWith(root)) short = short.slice(root.length);
      shortNames.set(file, short);
    }
    return short;
  };

  return function callerOf(below: (...args: never[]) => unknown): string | undefined {
    const savedLimit = Error.stackTraceLimit;
    const savedPrepare = Error.prepareStackTrace;
    Error.stackTraceLimit = depth;
    Error.prepareStackTrace = asCallSites;
    const holder = captureHolder();
    let sites: CallSite[] | undefined;
    try {
      Error.captureStackTrace(holder, below);
      sites = holder.stack as CallSite[] | undefined; // prepareStackTrace runs on this first read
    } finally {
      Error.stackTraceLimit = savedLimit;
      Error.prepareStackTrace = savedPrepare;
    }
    for (const site of sites ?? []) {
      const file = site.getFileName();
      if (!file || ignore.some((fragment) => file.includes(fragment))) continue;
      return `${shorten(file)}:${site.getLineNumber() ?? 0}`;
    }
    return undefined;
  };
}
