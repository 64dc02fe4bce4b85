// HTTP validators for catalog responses: strong ETags and If-Match (412); If-None-Match (304) is the binding's.
import { entityTags } from "@shared/endpoint";
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
