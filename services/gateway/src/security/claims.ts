// Reading verified claims: a value at a (dotted) path, a list, and the `propagate_claims` headers.
import { parseValidatorConfig } from "./jwt.config.ts";

/** Reads `path` from claims: the literal key first, then, when `nested`, a dot-separated walk. */
export function claimAt(claims: Record<string, unknown>, path: string, nested: boolean): unknown {
  if (path in claims || !nested) return claims[path];
  let cur: unknown = claims;
  for (const part of path.split(".")) {
    if (cur === null || typeof cur !== "object" || Array.isArray(cur)) return undefined;
    cur = (cur as Record<string, unknown>)[part];
  }
  return cur;
}

/** A claim holding a list (`["a","b"]`) or a space-separated string (`"a b"`, as OAuth scopes) as strings. */
export function claimList(value: unknown): string[] {
  if (Array.isArray(value)) return value.filter((v): v is string => typeof v === "string");
  if (typeof value === "string") return value.split(" ").filter(Boolean);
  return [];
}

// header values may not carry control characters; a claim must not be able to smuggle a second header line
// biome-ignore lint/suspicious/noControlCharactersInRegex: matching control characters is the point
const controlChars = /[\u0000-\u001f\u007f]/g;

/** Renders a claim as one header value: arrays joined by commas, objects as JSON, scalars as text. */
export function claimHeaderValue(value: unknown): string | undefined {
  if (value === undefined || value === null) return undefined;
  let text: string;
  if (Array.isArray(value)) text = value.map((v) => (typeof v === "object" ? JSON.stringify(v) : String(v))).join(",");
  else if (typeof value === "object") text = JSON.stringify(value);
  else text = String(value);
  return text.replace(controlChars, "");
}

/**
 * The `propagate_claims` headers for verified claims: `[["sub","X-User-Id"],["roles","X-User-Roles"]]`
 * gives `{ "X-User-Id": "u1", "X-User-Roles": "admin,user" }`. Nested claims use dots
 * (`realm_access.roles`); missing claims are skipped; control characters are stripped.
 */
export function claimToHeaders(raw: unknown, claims: Record<string, unknown>): Record<string, string> {
  const cfg = parseValidatorConfig(raw);
  const out: Record<string, string> = {};
  for (const [claim, header] of cfg.propagate_claims) {
    const value = claimHeaderValue(claimAt(claims, claim, true));
    if (value !== undefined) out[header] = value;
  }
  return out;
}
