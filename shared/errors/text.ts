import type { FieldError } from "./index.ts";

// PostgreSQL text cannot hold U+0000, and a lone UTF-16 surrogate has no UTF-8 form (drivers turn it into
// U+FFFD or fail): a string holding either is the client's error, refused before any handler runs.
const nulMessage = "must not contain the NUL character (U+0000)";
const surrogateMessage = "must not contain a lone UTF-16 surrogate (U+D800-U+DFFF)";

function textMessageOf(text: string): string | null {
  if (text.includes("\u0000")) return nulMessage;
  return text.isWellFormed() ? null : surrogateMessage;
}

/** A key made printable for a field path: NUL as `\u0000`, a lone surrogate as U+FFFD. */
function printableKey(key: string): string {
  return key.replaceAll("\u0000", "\\u0000").toWellFormed();
}

/**
 * The first string (value or object key) in a validated value that holds U+0000 or a lone surrogate, as a
 * field error whose path starts with `path` (e.g. `["body"]` gives `/body/name`); null when every string is
 * clean. The one text check every transport applies after its schema validation.
 */
export function textFieldErrorOf(value: unknown, path: readonly string[], depth = 0): FieldError | null {
  if (typeof value === "string") {
    const message = textMessageOf(value);
    return message === null ? null : { path: `/${path.join("/")}`, message };
  }
  if (typeof value !== "object" || value === null || depth > 64) return null;
  if (Array.isArray(value)) {
    for (let i = 0; i < value.length; i++) {
      const at = textFieldErrorOf(value[i], [...path, String(i)], depth + 1);
      if (at !== null) return at;
    }
    return null;
  }
  for (const [key, item] of Object.entries(value)) {
    const keyMessage = textMessageOf(key);
    if (keyMessage !== null) return { path: `/${[...path, printableKey(key)].join("/")}`, message: keyMessage };
    const at = textFieldErrorOf(item, [...path, key], depth + 1);
    if (at !== null) return at;
  }
  return null;
}
