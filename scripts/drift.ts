// Generated files that are committed, and how to regenerate or check them:
//   openapi/<svc>.json  what `bun src/main.ts openapi` prints in services/<svc>/ (pretty-printed)
//   drizzle/<svc>/      what `drizzle-kit generate` makes from services/<svc>/src/<svc>.schema.ts
//   openapi/asyncapi.json  the AsyncAPI 3 document of every platform event (shared/events/contracts.ts)
// Used by scripts/gen.ts (write) and scripts/check.ts (compare). Services without a main.ts or a
// schema file are skipped, so half-written services do not break the check.
import { cpSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { dirname, join, relative } from "node:path";
import { listServices, ROOT, serviceEntry } from "../shared/build/compile.ts";
import { asyncApiDocument, platformEvents } from "../shared/events/index.ts";

/** What a drift check found: nothing (ok) or a list of human-readable differences. */
export interface DriftResult {
  name: string;
  ok: boolean;
  problems: string[];
}

/** Services with a `src/<svc>.schema.ts`. */
export function servicesWithSchema(): string[] {
  const dir = join(ROOT, "services");
  if (!existsSync(dir)) return [];
  return readdirSync(dir)
    .filter((svc) => existsSync(join(dir, svc, "src", `${svc}.schema.ts`)))
    .sort();
}

export { listServices as servicesWithEntry };

/** Where one service's generated files live; overridable for tests. */
export interface Target {
  service: string;
  /** Entry whose `openapi` subcommand prints the document (default services/<svc>/src/main.ts). */
  entry?: string;
  /** Committed OpenAPI file (default openapi/<svc>.json). */
  openapiFile?: string;
  /** drizzle schema, relative to the repo root (default services/<svc>/src/<svc>.schema.ts). */
  schema?: string;
  /** Committed migrations folder, relative to the repo root (default drizzle/<svc>). */
  migrations?: string;
}

/**
 * Runs the service's `openapi` subcommand in the service's own folder (where a service keeps its
 * default config file, e.g. services/gateway/gateway.json) and returns the document pretty-printed.
 */
export function renderOpenapi(t: Target): string {
  const entry = t.entry ?? serviceEntry(t.service);
  const r = Bun.spawnSync([process.execPath, entry, "openapi"], {
    cwd: dirname(dirname(entry)),
    stdin: "ignore",
    stdout: "pipe",
    stderr: "pipe",
    timeout: 60_000,
    env: { ...process.env, LOG_LEVEL: process.env.LOG_LEVEL ?? "error" },
  });
  const stdout = r.stdout.toString();
  if (r.exitCode !== 0) {
    throw new Error(
      `\`bun ${relative(ROOT, entry)} openapi\` exited with ${r.exitCode}: ${r.stderr.toString().trim()}`,
    );
  }
  try {
    return `${JSON.stringify(JSON.parse(stdout), null, 2)}\n`;
  } catch {
    throw new Error(`\`bun ${relative(ROOT, entry)} openapi\` did not print JSON: ${stdout.slice(0, 200)}`);
  }
}

function openapiPath(t: Target): string {
  return t.openapiFile ?? join(ROOT, "openapi", `${t.service}.json`);
}

/** Writes openapi/<svc>.json from the service's CLI. */
export function writeOpenapi(t: Target): string {
  const file = openapiPath(t);
  mkdirSync(join(file, ".."), { recursive: true });
  writeFileSync(file, renderOpenapi(t));
  return file;
}

/** Compares openapi/<svc>.json with what the service prints now. */
export function checkOpenapi(t: Target): DriftResult {
  const name = `openapi/${t.service}.json`;
  const file = openapiPath(t);
  try {
    const fresh = renderOpenapi(t);
    if (!existsSync(file)) return { name, ok: false, problems: [`${relative(ROOT, file)} is missing`] };
    const committed = readFileSync(file, "utf8");
    if (committed === fresh) return { name, ok: true, problems: [] };
    // Same content, other formatting still counts: gen writes one canonical form.
    return { name, ok: false, problems: [`${relative(ROOT, file)} differs from the service's \`openapi\` output`] };
  } catch (err) {
    return { name, ok: false, problems: [err instanceof Error ? err.message : String(err)] };
  }
}

/** Runs `drizzle-kit <command>` with the repo's drizzle.config.ts for one service. */
export function drizzleKit(t: Target, command: string[], out?: string): { ok: boolean; output: string } {
  const env: Record<string, string | undefined> = { ...process.env, DRIZZLE_SERVICE: t.service };
  if (t.schema) env.DRIZZLE_SCHEMA = t.schema;
  env.DRIZZLE_OUT = out ?? t.migrations ?? `drizzle/${t.service}`;
  const bin = join(ROOT, "node_modules", ".bin", "drizzle-kit");
  const r = Bun.spawnSync([bin, ...command], {
    cwd: ROOT,
    env,
    stdin: "ignore", // drizzle-kit asks about renames interactively; with no stdin it cannot hang on it
    stdout: "pipe",
    stderr: "pipe",
    timeout: 120_000,
  });
  const output = `${r.stdout.toString()}${r.stderr.toString()}`;
  // drizzle-kit can print an error and still exit 0.
  const failed = r.exitCode !== 0 || /^\s*(?:Error|TypeError|ReferenceError)\b|ENOENT|Cannot find module/m.test(output);
  return { ok: !failed, output };
}

function listFiles(dir: string, base = dir): string[] {
  if (!existsSync(dir)) return [];
  const out: string[] = [];
  for (const name of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, name.name);
    if (name.isDirectory()) out.push(...listFiles(path, base));
    else out.push(relative(base, path));
  }
  return out.sort();
}

/** Generates new migrations for a service into drizzle/<svc>/ (`bun run gen`). */
export function writeMigrations(t: Target, extraArgs: string[] = []): { ok: boolean; output: string } {
  return drizzleKit(t, ["generate", ...extraArgs]);
}

/**
 * Checks that drizzle/<svc>/ is what drizzle-kit would produce: runs `generate` into a scratch copy
 * (under dist/, since drizzle-kit only takes paths relative to the working directory) and fails when
 * it adds or changes any file, then runs `drizzle-kit check` on the committed folder.
 */
export function checkMigrations(t: Target): DriftResult {
  const committed = t.migrations ?? `drizzle/${t.service}`;
  const name = `${committed}/`;
  const scratchRoot = join(ROOT, "dist", ".drift");
  mkdirSync(scratchRoot, { recursive: true });
  const scratch = mkdtempSync(join(scratchRoot, `${t.service}-`));
  try {
    const absCommitted = join(ROOT, committed);
    if (existsSync(absCommitted)) cpSync(absCommitted, scratch, { recursive: true });
    const gen = drizzleKit(t, ["generate"], relative(ROOT, scratch));
    if (!gen.ok) return { name, ok: false, problems: [`drizzle-kit generate failed:\n${gen.output.trim()}`] };
    const problems: string[] = [];
    const before = listFiles(absCommitted);
    const after = listFiles(scratch);
    for (const f of after) {
      if (!before.includes(f)) problems.push(`drizzle-kit generate would add ${committed}/${f}`);
      else if (readFileSync(join(scratch, f), "utf8") !== readFileSync(join(absCommitted, f), "utf8")) {
        problems.push(`drizzle-kit generate would change ${committed}/${f}`);
      }
    }
    if (problems.length === 0 && before.length > 0) {
      const check = drizzleKit(t, ["check"]);
      if (!check.ok) problems.push(`drizzle-kit check failed:\n${check.output.trim()}`);
    }
    if (problems.length > 0) problems.push(`run \`bun run gen\` and commit ${committed}/`);
    return { name, ok: problems.length === 0, problems };
  } finally {
    rmSync(scratch, { recursive: true, force: true });
  }
}

/** The committed AsyncAPI document of all platform events. */
export const asyncapiFile = join(ROOT, "openapi", "asyncapi.json");

/** openapi/asyncapi.json as `bun run gen` writes it (from the contracts, no service involved). */
export function renderAsyncapi(): string {
  return `${JSON.stringify(asyncApiDocument(platformEvents), null, 2)}\n`;
}

/** Writes openapi/asyncapi.json. */
export function writeAsyncapi(file = asyncapiFile): string {
  mkdirSync(dirname(file), { recursive: true });
  writeFileSync(file, renderAsyncapi());
  return file;
}

/** Compares openapi/asyncapi.json with what the contracts generate now. */
export function checkAsyncapi(file = asyncapiFile): DriftResult {
  const name = "openapi/asyncapi.json";
  if (!existsSync(file)) return { name, ok: false, problems: [`${name} is missing: run \`bun run gen\``] };
  const ok = readFileSync(file, "utf8") === renderAsyncapi();
  return { name, ok, problems: ok ? [] : [`${name} differs from shared/events/contracts.ts: run \`bun run gen\``] };
}
