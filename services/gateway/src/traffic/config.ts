import { z } from "zod";

const unitMs: Record<string, number> = { ns: 1e-6, us: 1e-3, µs: 1e-3, ms: 1, s: 1000, m: 60_000, h: 3_600_000 };
const durationPart = /(\d+(?:\.\d+)?)(ns|us|µs|ms|s|m|h)/y;

/**
 * Parses a KrakenD (Go `time.Duration`) string such as `"1s"`, `"500ms"` or `"1h30m"` into milliseconds.
 * Returns `undefined` for anything else, so callers can report the offending field.
 * @example parseDuration("1m30s") // 90000
 */
export function parseDuration(text: string): number | undefined {
  if (text === "0") return 0;
  let total = 0;
  let matched = 0;
  durationPart.lastIndex = 0;
  while (durationPart.lastIndex < text.length) {
    const m = durationPart.exec(text);
    if (!m) return undefined;
    total += Number(m[1]) * unitMs[m[2]!]!;
    matched++;
  }
  return matched > 0 ? total : undefined;
}

/** A zod schema for a KrakenD duration string, parsed to milliseconds. */
export const durationMs = z.string().transform((text, ctx) => {
  const ms = parseDuration(text);
  if (ms === undefined) {
    ctx.addIssue({ code: "custom", message: `"${text}" is not a duration (use e.g. 500ms, 1s, 10m, 1h)` });
    return z.NEVER;
  }
  return ms;
});

/**
 * KrakenD accepts comment keys (`@comment`, `$ref`, `_x`, `#x`) in every namespace; strips them so strict
 * schemas still report genuinely unknown fields.
 */
function withoutCommentKeys(raw: unknown): unknown {
  if (raw === null || typeof raw !== "object" || Array.isArray(raw)) return raw;
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(raw)) if (!/^[@$_#]/.test(k)) out[k] = v;
  return out;
}

/**
 * Validates one `extra_config` namespace with a strict zod schema; throws an Error naming the namespace and
 * the bad field (`auth/validator.alg: Invalid option ...`).
 */
export function parseNamespace<S extends z.ZodType>(namespace: string, schema: S, raw: unknown): z.output<S> {
  const result = schema.safeParse(withoutCommentKeys(raw ?? {}));
  if (result.success) return result.data;
  const problems = result.error.issues.map((issue) => {
    const keys = issue.code === "unrecognized_keys" ? issue.keys : [];
    const path = [...issue.path, ...(keys.length === 1 ? keys : [])].map(String).join(".");
    return `${namespace}${path ? `.${path}` : ""}: ${issue.message}`;
  });
  throw new Error(problems.join("; "));
}
