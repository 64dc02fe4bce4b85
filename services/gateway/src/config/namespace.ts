// Reading one `extra_config` namespace: each feature validates its own namespace with a strict schema
// when it is built, so the error names the namespace and the field.
import type { z } from "zod";

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
