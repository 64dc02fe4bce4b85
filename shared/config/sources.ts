import { readFileSync } from "node:fs";
import { extname } from "node:path";
import { parse as parseToml } from "smol-toml";
import { parse as parseYaml } from "yaml";
import { ConfigError } from "./errors.ts";

/** A plain nested object of raw config values. */
export type RawConfig = Record<string, unknown>;

/** Reads a YAML, JSON or TOML config file, chosen by its extension. */
export function readConfigFile(file: string): RawConfig {
  const source = `file ${file}`;
  let text: string;
  try {
    text = readFileSync(file, "utf8");
  } catch (err) {
    throw new ConfigError([{ key: "", message: `cannot read config file: ${(err as Error).message}`, source }]);
  }
  const ext = extname(file).toLowerCase();
  let parsed: unknown;
  try {
    if (ext === ".yaml" || ext === ".yml") parsed = parseYaml(text);
    else if (ext === ".json") parsed = JSON.parse(text);
    else if (ext === ".toml") parsed = parseToml(text);
    else throw new Error(`unsupported extension "${ext}" (use .yaml, .yml, .json or .toml)`);
  } catch (err) {
    throw new ConfigError([{ key: "", message: `cannot parse config file: ${(err as Error).message}`, source }]);
  }
  if (parsed === null || parsed === undefined) return {};
  if (typeof parsed !== "object" || Array.isArray(parsed)) {
    throw new ConfigError([{ key: "", message: "config file must hold an object at the top", source }]);
  }
  return parsed as RawConfig;
}

/** True for a plain object (not an array, not null). */
export function isPlainObject(value: unknown): value is RawConfig {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

/** Sets a value at a dotted path, creating objects on the way. */
export function setPath(target: RawConfig, path: readonly string[], value: unknown): void {
  let node = target;
  for (const key of path.slice(0, -1)) {
    if (!isPlainObject(node[key])) node[key] = {};
    node = node[key] as RawConfig;
  }
  node[path[path.length - 1]!] = value;
}

/** The value at a path, or undefined. */
export function getPath(source: unknown, path: readonly PropertyKey[]): unknown {
  let node = source;
  for (const key of path) {
    if (!isPlainObject(node) && !Array.isArray(node)) return undefined;
    node = (node as Record<PropertyKey, unknown>)[key];
  }
  return node;
}

/** Every dotted path to a non-object value in a raw object. */
export function rawLeafPaths(value: RawConfig, prefix: string[] = []): string[][] {
  return Object.entries(value).flatMap(([key, child]) =>
    isPlainObject(child) && Object.keys(child).length > 0 ? rawLeafPaths(child, [...prefix, key]) : [[...prefix, key]],
  );
}

/** Deep-merges `over` onto `base`; objects merge, everything else (arrays too) replaces. */
export function deepMerge(base: RawConfig, over: RawConfig): RawConfig {
  const out: RawConfig = { ...base };
  for (const [key, value] of Object.entries(over)) {
    out[key] = isPlainObject(value) && isPlainObject(out[key]) ? deepMerge(out[key] as RawConfig, value) : value;
  }
  return out;
}
