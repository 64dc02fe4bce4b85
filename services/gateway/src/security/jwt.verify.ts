// The checks on one token, all synchronous: JWS parts, the signature with node:crypto, then the claims
// (`exp`/`nbf` with leeway, issuer, audience: 401) and the authorization rules (roles, scopes: 403).
import { createHmac, constants as cryptoConstants, timingSafeEqual, verify } from "node:crypto";
import { claimAt, claimList } from "./claims.ts";
import type { JwtAlgorithm, VerifyKey } from "./jwks.ts";
import type { ValidatorConfig } from "./jwt.config.ts";

/** What `validate` answers: the verified claims, or the status and a client-safe message. */
export type JwtResult =
  | { ok: true; claims: Record<string, unknown> }
  | { ok: false; status: 401 | 403; message: string };

/** A 401 answer: the token is missing, malformed, forged, expired or meant for someone else. */
export const fail401 = (message: string): JwtResult => ({ ok: false, status: 401, message });
const fail403 = (message: string): JwtResult => ({ ok: false, status: 403, message });

const hashOf: Record<JwtAlgorithm, string | null> = {
  EdDSA: null,
  HS256: "sha256",
  HS384: "sha384",
  HS512: "sha512",
  RS256: "sha256",
  RS384: "sha384",
  RS512: "sha512",
  ES256: "sha256",
  ES384: "sha384",
  ES512: "sha512",
  PS256: "sha256",
  PS384: "sha384",
  PS512: "sha512",
};

/** Checks a JWS signature synchronously with node:crypto; `alg` has already been pinned to the config. */
export function signatureValid(key: VerifyKey, signingInput: string, signature: Buffer): boolean {
  const { alg } = key;
  const hash = hashOf[alg];
  try {
    if (alg.startsWith("HS")) {
      const expected = createHmac(hash!, key.key).update(signingInput).digest();
      return expected.length === signature.length && timingSafeEqual(expected, signature);
    }
    const data = Buffer.from(signingInput);
    if (alg.startsWith("ES")) return verify(hash, data, { key: key.key, dsaEncoding: "ieee-p1363" }, signature);
    if (alg.startsWith("PS")) {
      const padding = cryptoConstants.RSA_PKCS1_PSS_PADDING;
      return verify(
        hash,
        data,
        { key: key.key, padding, saltLength: cryptoConstants.RSA_PSS_SALTLEN_DIGEST },
        signature,
      );
    }
    return verify(hash, data, key.key, signature);
  } catch {
    return false;
  }
}

/** The alphabet of a JWS part. */
const base64url = /^[A-Za-z0-9_-]*$/;
const alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

/**
 * True when `part` is the one base64url text of its bytes: no padding, no character outside the
 * alphabet, no impossible length, and zero in the unused low bits of the last character. Decoders ignore
 * those bits, so without this check one signature has four (or sixteen) spellings.
 */
export function canonicalBase64url(part: string): boolean {
  if (!base64url.test(part)) return false;
  const rest = part.length % 4;
  if (rest === 0) return true;
  if (rest === 1) return false;
  const last = alphabet.indexOf(part[part.length - 1]!);
  return (last & (rest === 2 ? 0x0f : 0x03)) === 0;
}
/** Longer tokens are refused before any decoding. */
export const MAX_TOKEN_LENGTH = 16 * 1024;

/** Decodes a JWS header or payload; undefined unless it is base64url of a JSON object. */
export function decodeJsonPart(part: string): Record<string, unknown> | undefined {
  if (!canonicalBase64url(part)) return undefined;
  try {
    const value: unknown = JSON.parse(Buffer.from(part, "base64url").toString("utf8"));
    return value !== null && typeof value === "object" && !Array.isArray(value)
      ? (value as Record<string, unknown>)
      : undefined;
  } catch {
    return undefined;
  }
}

/** The media type of a `typ` header compared as RFC 8725 asks: case-insensitive, `application/` optional. */
export const mediaType = (typ: string) => {
  const lower = typ.toLowerCase();
  return lower.startsWith("application/") ? lower.slice(12) : lower;
};

/** The time, issuer and audience checks of `cfg`: a 401 answer, or undefined when the claims pass. */
export function claimsCheck(
  cfg: ValidatorConfig,
  leewaySec: number,
): (claims: Record<string, unknown>, nowSec: number) => JwtResult | undefined {
  return (claims, nowSec) => {
    const { exp, nbf } = claims;
    if (exp === undefined && !cfg.allow_missing_exp) return fail401("token without expiry");
    if (exp !== undefined && (typeof exp !== "number" || nowSec > exp + leewaySec)) return fail401("token expired");
    if (nbf !== undefined && (typeof nbf !== "number" || nowSec + leewaySec < nbf))
      return fail401("token not yet valid");
    if (cfg.issuer !== undefined && claims.iss !== cfg.issuer) return fail401("wrong issuer");
    if (cfg.audience?.length) {
      const aud = claims.aud;
      const have = Array.isArray(aud) ? aud : typeof aud === "string" ? [aud] : [];
      if (!cfg.audience.every((a) => have.includes(a))) return fail401("wrong audience");
    }
    return undefined;
  };
}

/** The role and scope rules of `cfg` over verified claims: the accepting answer, or a 403. */
export function authorizer(cfg: ValidatorConfig): (claims: Record<string, unknown>) => JwtResult {
  const roles = cfg.roles?.length ? cfg.roles : undefined;
  const scopes = cfg.scopes?.length ? cfg.scopes : undefined;
  return (claims) => {
    if (roles) {
      const have = claimList(claimAt(claims, cfg.roles_key ?? "roles", cfg.roles_key_is_nested));
      if (!roles.some((r) => have.includes(r))) return fail403("missing a required role");
    }
    if (scopes) {
      const have = claimList(claimAt(claims, cfg.scopes_key, true));
      const ok =
        cfg.scopes_matcher === "all" ? scopes.every((s) => have.includes(s)) : scopes.some((s) => have.includes(s));
      if (!ok) return fail403("missing a required scope");
    }
    return { ok: true, claims };
  };
}
