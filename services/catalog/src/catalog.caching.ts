// HTTP validators for catalog responses: strong ETags, If-None-Match (304) and If-Match (412).
import type { ExpectedVersion } from "./catalog.model.ts";

/** A product's strong ETag: its version, since every change bumps it and the body is the same for all viewers. */
export function versionEtag(version: number): string {
  return `"v${version}"`;
}

/** A strong ETag for any body: a digest of its exact bytes (listings, whose content has no single version). */
export function bodyEtag(body: string): string {
  const digest = new Bun.CryptoHasher("sha256").update(body).digest("base64url");
  return `"${digest.slice(0, 27)}"`;
}

/** The entity tags of an If-Match / If-None-Match header, or `*`; undefined when the header is absent. */
function entityTags(header: string | undefined): "*" | { weak: boolean; tag: string }[] | undefined {
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

/**
 * The versions an If-Match header accepts (strong comparison, RFC 9110 13.1.1: weak tags never match).
 * Undefined when the header is absent; a header naming no version of ours accepts none, so the write
 * answers 412.
 */
export function expectedVersionOf(header: string | undefined): ExpectedVersion | undefined {
  const tags = entityTags(header);
  if (tags === undefined) return undefined;
  if (tags === "*") return { kind: "any" };
  const versions = tags.flatMap((t) => {
    const m = /^v([1-9]\d{0,9})$/.exec(t.tag);
    return !t.weak && m ? [Number(m[1])] : [];
  });
  return { kind: "one-of", versions };
}
