// Reading a gateway config: `{{ env "NAME" }}` substitution, JSON or YAML, `GATEWAY_*` overrides of the
// top-level scalars, then schema validation and the semantic checks of `config.check.ts`.
import { readFileSync } from "node:fs";
import { parse as parseYaml } from "yaml";
import type { z } from "zod";
import { checkConfig } from "./config.check.ts";
import { screenKeys } from "./config.keys.ts";
import { type ConfigProblem, formatPath, issueMessage } from "./config.problem.ts";
import { backendSchema, endpointSchema, type ServiceConfig, serviceSchema } from "./config.schema.ts";

const serviceKeys = new Set(Object.keys(serviceSchema.shape));
const endpointKeys = new Set(Object.keys(endpointSchema.shape));
const backendKeys = new Set(Object.keys(backendSchema.shape));

/** A config that cannot be served; `problems` name each offending path. */
export class GatewayConfigError extends Error {
  override readonly name = "GatewayConfigError";
  constructor(readonly problems: ConfigProblem[]) {
    super(problems.map((p) => (p.path ? `${p.path}: ${p.message}` : p.message)).join("\n"));
  }
}

/** A validated config plus what was accepted but is worth a look (unknown namespaces, ignored keys). */
export interface LoadedConfig {
  config: ServiceConfig;
  warnings: string[];
  source: string;
}

/** The `telemetry/metrics.listen_address` of a config, if any. */
export function metricsAddressOf(loaded: LoadedConfig): string | null {
  const ns = loaded.config.extra_config?.["telemetry/metrics"] as { listen_address?: string } | undefined;
  return ns?.listen_address ?? null;
}

/**
 * Environment overrides for top-level scalars. KrakenD CE reads `KRAKEND_PORT`; we read the same idea
 * under our prefix. `GATEWAY_HOST` is a comma-separated list.
 */
export const envOverrides = {
  GATEWAY_PORT: "port",
  GATEWAY_TIMEOUT: "timeout",
  GATEWAY_CACHE_TTL: "cache_ttl",
  GATEWAY_OUTPUT_ENCODING: "output_encoding",
  GATEWAY_HOST: "host",
} as const;

// Quotes may be bare (KrakenD's style: the file is a template) or escaped (the file stays valid JSON).
const envTemplate = /\{\{\s*env\s+\\?"([A-Za-z_][A-Za-z0-9_]*)\\?"(?:\s+\\?"([^"\\]*)\\?")?\s*\}\}/g;

/**
 * Replaces `{{ env "NAME" }}` (and `{{ env "NAME" "fallback" }}`) in the raw text. In JSON the value is
 * escaped as a string body, so a value cannot break out of its string.
 */
export function substituteEnv(
  text: string,
  env: Record<string, string | undefined>,
  json: boolean,
): { text: string; problems: ConfigProblem[] } {
  const problems: ConfigProblem[] = [];
  const out = text.replace(envTemplate, (_m, name: string, fallback: string | undefined) => {
    const value = env[name] ?? fallback;
    if (value === undefined) {
      problems.push({ path: "", message: `environment variable ${name} is not set and has no default` });
      return "";
    }
    return json ? JSON.stringify(value).slice(1, -1) : value;
  });
  return { text: out, problems };
}

function applyEnvOverrides(raw: Record<string, unknown>, env: Record<string, string | undefined>): void {
  for (const [name, key] of Object.entries(envOverrides)) {
    const value = env[name];
    if (value === undefined || value === "") continue;
    if (key === "host") raw[key] = value.split(",").map((h) => h.trim());
    else if (key === "port") raw[key] = /^\d+$/.test(value) ? Number(value) : value;
    else raw[key] = value;
  }
}

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === "object" && v !== null && !Array.isArray(v);

/** Screens the keys of the service, every endpoint and every backend (see `screenKeys`). */
function screenConfigKeys(raw: Record<string, unknown>): { problems: ConfigProblem[]; warnings: string[] } {
  const out = { problems: [] as ConfigProblem[], warnings: [] as string[] };
  screenKeys(raw, "service", serviceKeys, "", out);
  if (!Array.isArray(raw.endpoints)) return out;
  raw.endpoints.forEach((ep, i) => {
    if (!isObject(ep)) return;
    screenKeys(ep, "endpoint", endpointKeys, `endpoints[${i}].`, out);
    if (!Array.isArray(ep.backend)) return;
    ep.backend.forEach((be, j) => {
      if (isObject(be)) screenKeys(be, "backend", backendKeys, `endpoints[${i}].backend[${j}].`, out);
    });
  });
  return out;
}

function zodProblems(error: z.ZodError): ConfigProblem[] {
  return error.issues.map((issue) => {
    if (issue.code === "unrecognized_keys") {
      return { path: formatPath([...issue.path, issue.keys[0]!]), message: `unknown key (${issue.keys.join(", ")})` };
    }
    return { path: formatPath(issue.path), message: issueMessage(issue) };
  });
}

/** Parses and validates config text; throws `GatewayConfigError` listing every problem found. */
export function parseConfigText(
  text: string,
  opts: { format: "json" | "yaml"; env?: Record<string, string | undefined>; source?: string },
): LoadedConfig {
  const env = opts.env ?? {};
  const substituted = substituteEnv(text, env, opts.format === "json");
  if (substituted.problems.length > 0) throw new GatewayConfigError(substituted.problems);
  let raw: unknown;
  try {
    raw = opts.format === "json" ? JSON.parse(substituted.text) : parseYaml(substituted.text);
  } catch (err) {
    throw new GatewayConfigError([{ path: "", message: `cannot parse ${opts.format}: ${(err as Error).message}` }]);
  }
  if (typeof raw !== "object" || raw === null || Array.isArray(raw)) {
    throw new GatewayConfigError([{ path: "", message: "the config must be an object" }]);
  }
  applyEnvOverrides(raw as Record<string, unknown>, env);
  const screened = screenConfigKeys(raw as Record<string, unknown>);
  const parsed = serviceSchema.safeParse(raw);
  if (!parsed.success) throw new GatewayConfigError([...screened.problems, ...zodProblems(parsed.error)]);
  if (screened.problems.length > 0) throw new GatewayConfigError(screened.problems);
  const { problems, warnings } = checkConfig(parsed.data);
  if (problems.length > 0) throw new GatewayConfigError(problems);
  return { config: parsed.data, warnings: [...screened.warnings, ...warnings], source: opts.source ?? "<text>" };
}

/** Reads a `.json`, `.yaml` or `.yml` config file. */
export function loadConfigFile(file: string, env: Record<string, string | undefined> = process.env): LoadedConfig {
  let text: string;
  try {
    text = readFileSync(file, "utf8");
  } catch (err) {
    throw new GatewayConfigError([{ path: "", message: `cannot read ${file}: ${(err as Error).message}` }]);
  }
  const format = /\.ya?ml$/i.test(file) ? "yaml" : "json";
  return parseConfigText(text, { format, env, source: file });
}
