import type { FieldError } from "../errors/index.ts";

// A URL cannot carry a lone surrogate as such: it arrives as percent-encoded bytes that are not UTF-8
// (`%ED%A0%80` is U+D800 in CESU-8). The router keeps such a value undecoded, so it would pass as the
// literal text `%ED%A0%80`; the binding refuses it instead, like the lone surrogate it stands for.
const message = "must be percent-encoded UTF-8 (a lone surrogate or a stray byte is not)";

const none: readonly FieldError[] = [];

function decodes(raw: string): boolean {
  try {
    decodeURIComponent(raw.replaceAll("+", " "));
    return true;
  } catch {
    return false;
  }
}

/**
 * Path parameters and values of the bound query keys in a request URL whose percent-encoding is not UTF-8,
 * as field errors (`/params/id`, `/query/q`). A URL without `%` is not parsed.
 * @example undecodableUrlFields("http://h/notes/%ED%A0%80", "/notes/{id}", true, []) // [{ path: "/params/id", ... }]
 */
export function undecodableUrlFields(
  url: string,
  pattern: string,
  params: boolean,
  query: readonly string[],
): readonly FieldError[] {
  if (!url.includes("%")) return none;
  const parsed = new URL(url);
  const out: FieldError[] = [];
  if (params) {
    const names = pattern.split("/");
    const segments = parsed.pathname.split("/");
    for (let i = 0; i < names.length && i < segments.length; i++) {
      const name = /^\{([^}]+)\}$/.exec(names[i]!)?.[1];
      if (name !== undefined && !decodes(segments[i]!)) out.push({ path: `/params/${name}`, message });
    }
  }
  if (query.length && parsed.search.length > 1) {
    for (const pair of parsed.search.slice(1).split("&")) {
      const eq = pair.indexOf("=");
      const name = eq < 0 ? pair : pair.slice(0, eq);
      if (!decodes(name) || decodes(pair.slice(eq + 1))) continue;
      const key = decodeURIComponent(name.replaceAll("+", " "));
      if (query.includes(key)) out.push({ path: `/query/${key}`, message });
    }
  }
  return out;
}
