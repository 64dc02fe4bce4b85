import type { z } from "zod";
import { coerceString } from "./coerce.ts";
import { readEnv } from "./env.ts";
import { ConfigError, type ConfigIssue } from "./errors.ts";
import { parseFlags, standardFlagAliases } from "./flags.ts";
import { metaOf, objectShape, schemaAt } from "./schema-walk.ts";
import { deepMerge, getPath, isPlainObject, type RawConfig, rawLeafPaths, readConfigFile, setPath } from "./sources.ts";

/** What `loadConfig` reads: one schema and the process's argv (after the subcommand) and env. */
export interface LoadConfigOptions<S extends z.ZodType> {
  schema: S;
  /** Flags only, e.g. `["--config", "app.yaml", "--http.port=8080"]`. */
  argv?: readonly string[];
  env?: Record<string, string | undefined>;
  /** Service-specific env names, e.g. `{ JWT_SECRET: "auth.jwtSecret" }`. */
  envMap?: Record<string, string>;
  /** Prefix for `<PREFIX>_<PATH>` env names; defaults to the service name given to `defineServiceConfig`. */
  envPrefix?: string;
  /** Lowest layer, under the file (the schema's own defaults apply last, to whatever is still missing). */
  defaults?: RawConfig;
  /** Short flag names, e.g. `{ port: "http.port" }`; defaults to `standardFlagAliases`. */
  flagAliases?: Record<string, string>;
}

/** Keys of a file that the schema does not know, so typos fail instead of being ignored. */
function unknownKeys(schema: z.core.$ZodType, raw: RawConfig, source: string): ConfigIssue[] {
  const issues: ConfigIssue[] = [];
  const walk = (node: z.core.$ZodType, value: RawConfig, prefix: string[]) => {
    const shape = objectShape(node);
    if (!shape) return;
    for (const [key, child] of Object.entries(value)) {
      const path = [...prefix, key];
      if (!shape[key]) issues.push({ key: path.join("."), message: "unknown key", source });
      else if (isPlainObject(child)) walk(shape[key], child, path);
    }
  };
  walk(schema, raw, []);
  return issues;
}

function describe(value: unknown): string {
  return value === undefined ? "nothing" : JSON.stringify(value);
}

/** `http.port: expected number, got "abc"` from a zod issue and the merged input. */
function issueMessage(issue: z.core.$ZodIssue, input: RawConfig): string {
  const got = describe(getPath(input, issue.path));
  if (issue.code === "invalid_type") return `expected ${issue.expected}, got ${got}`;
  return `${issue.message.replace(/^Invalid input: /, "")}, got ${got}`;
}

/** The most specific recorded source at or above a path. */
function sourceOf(sources: Map<string, string>, path: readonly PropertyKey[]): string {
  for (let n = path.length; n >= 0; n--) {
    const found = sources.get(path.slice(0, n).map(String).join("."));
    if (found) return found;
  }
  return "default";
}

/** Resolves config from `defaults < --config file < env < flags` and validates it with the schema. */
export function loadConfig<S extends z.ZodType>(options: LoadConfigOptions<S>): z.output<S> {
  const { schema, argv = [], env = {} } = options;
  const envPrefix = options.envPrefix ?? (metaOf(schema).service as string | undefined);
  const flags = parseFlags(schema, argv, options.flagAliases ?? standardFlagAliases);
  const sources = new Map<string, string>();
  const record = (raw: RawConfig, source: string) => {
    for (const path of rawLeafPaths(raw)) sources.set(path.join("."), source);
  };

  let input: RawConfig = {};
  if (options.defaults) {
    input = deepMerge(input, options.defaults);
    record(options.defaults, "defaults");
  }
  if (flags.configFile) {
    const fromFile = readConfigFile(flags.configFile);
    const source = `file ${flags.configFile}`;
    const unknown = unknownKeys(schema, fromFile, source);
    if (unknown.length > 0) throw new ConfigError(unknown);
    input = deepMerge(input, fromFile);
    record(fromFile, source);
  }
  for (const entry of [...readEnv(schema, env, { ...options, envPrefix }), ...flags.entries]) {
    setPath(input, entry.path, coerceString(schemaAt(schema, entry.path)!, entry.raw));
    sources.set(entry.path.join("."), entry.source);
  }

  const parsed = schema.safeParse(input);
  if (parsed.success) return parsed.data;
  throw new ConfigError(
    parsed.error.issues.map((issue) => ({
      key: issue.path.map(String).join("."),
      message: issueMessage(issue, input),
      source: sourceOf(sources, issue.path),
    })),
  );
}
