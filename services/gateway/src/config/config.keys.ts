// Keys of the service, endpoint and backend objects that this gateway does not read. A key KrakenD's
// schema knows (`krakend-keys.json`) is accepted with a warning, so a file `krakend run` serves is served
// here too; any other key is an error, with the nearest known key when it looks like a misspelling.
import type { ConfigProblem } from "./config.problem.ts";
import krakend from "./krakend-keys.json";

/** The three object levels of a config. */
export type Level = "service" | "endpoint" | "backend";

/** KrakenD's keys per level and its `extra_config` namespaces per level (see `krakend-keys.gen.ts`). */
export const krakendKeys = {
  service: new Set<string>(krakend.service),
  endpoint: new Set<string>(krakend.endpoint),
  backend: new Set<string>(krakend.backend),
};

/** KrakenD's `extra_config` namespaces per level. */
export const krakendNamespaces: Record<Level, ReadonlySet<string>> = {
  service: new Set(krakend.namespaces.service),
  endpoint: new Set(krakend.namespaces.endpoint),
  backend: new Set(krakend.namespaces.backend),
};

/** Keys v1 configs used that v2 renamed; KrakenD v2 ignores them, so a config using them lost its intent. */
const renamed: Record<string, string> = {
  headers_to_pass: "input_headers",
  querystring_params: "input_query_strings",
};

/** KrakenD's comment keys (`@comment`, `$schema`, `_x`, `#x`), allowed on every object. */
export const isCommentKey = (key: string) => /^[@$_#]/.test(key);

/** Edit distance (insertions, deletions, substitutions, adjacent swaps) between two short strings. */
function distance(a: string, b: string): number {
  const rows: number[][] = [];
  for (let i = 0; i <= a.length; i++) rows.push([i]);
  for (let j = 1; j <= b.length; j++) rows[0]![j] = j;
  for (let i = 1; i <= a.length; i++) {
    for (let j = 1; j <= b.length; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      let d = Math.min(rows[i - 1]![j]! + 1, rows[i]![j - 1]! + 1, rows[i - 1]![j - 1]! + cost);
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1]) d = Math.min(d, rows[i - 2]![j - 2]! + 1);
      rows[i]![j] = d;
    }
  }
  return rows[a.length]![b.length]!;
}

/** The known name nearest to `key` when it is close enough to be a misspelling of it, else null. */
export function didYouMean(key: string, known: Iterable<string>): string | null {
  const lower = key.toLowerCase();
  const limit = lower.length <= 4 ? 1 : lower.length <= 10 ? 2 : 3;
  let best: string | null = null;
  let bestDistance = limit + 1;
  for (const name of known) {
    const d = name === lower ? 0.5 : distance(lower, name);
    if (d < bestDistance) {
      best = name;
      bestDistance = d;
    }
  }
  return best;
}

/** The message of a key or namespace nobody knows, with a suggestion when one is near. */
export function unknownMessage(what: string, key: string, known: Iterable<string>): string {
  const suggestion = renamed[key] ?? didYouMean(key, known);
  return suggestion === null ? `unknown ${what}` : `unknown ${what}; did you mean ${suggestion}?`;
}

/**
 * Removes from `obj` every key the gateway's schema for `level` does not declare: a key KrakenD knows becomes
 * a warning, any other an error; comment keys go silently.
 */
export function screenKeys(
  obj: Record<string, unknown>,
  level: Level,
  ours: ReadonlySet<string>,
  at: string,
  out: { problems: ConfigProblem[]; warnings: string[] },
): void {
  for (const key of Object.keys(obj)) {
    if (ours.has(key)) continue;
    if (isCommentKey(key)) {
      delete obj[key];
      continue;
    }
    const path = `${at}${key}`;
    if (krakendKeys[level].has(key)) {
      out.warnings.push(`${path}: KrakenD key not supported by this gateway, ignored`);
    } else {
      out.problems.push({ path, message: unknownMessage("key", key, new Set([...ours, ...krakendKeys[level]])) });
    }
    delete obj[key];
  }
}
