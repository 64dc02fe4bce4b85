// Entity tags in If-Match / If-None-Match headers (RFC 9110 13.1).

/** An entity tag as a request header names it. */
export interface EntityTag {
  weak: boolean;
  tag: string;
}

/** The entity tags of an If-Match / If-None-Match header, or `*`; undefined when the header is absent. */
export function entityTags(header: string | undefined): "*" | EntityTag[] | undefined {
  if (header === undefined) return undefined;
  if (header.trim() === "*") return "*";
  return [...header.matchAll(/(W\/)?"([^"]*)"/g)].map((m) => ({ weak: m[1] !== undefined, tag: m[2]! }));
}

/** True when If-None-Match names this ETag (weak comparison, RFC 9110 13.1.2): answer 304. */
export function ifNoneMatchHits(header: string | undefined, etag: string): boolean {
  const tags = entityTags(header);
  if (tags === undefined) return false;
  if (tags === "*") return true;
  const opaque = etag.replace(/^W\//, "").slice(1, -1);
  return tags.some((t) => t.tag === opaque);
}
