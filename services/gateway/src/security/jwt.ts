import { createHmac, constants as cryptoConstants, timingSafeEqual, verify } from "node:crypto";
import { readFileSync } from "node:fs";
import { z } from "zod";
import { Lru } from "../cache/lru.ts";
import { durationMs } from "../config/duration.ts";
import { parseNamespace } from "../config/namespace.ts";
import { claimAt, claimHeaderValue, claimList } from "./claims.ts";
import {
  type JwtAlgorithm,
  jwtAlgorithms,
  type KeySource,
  keysFromJwks,
  localKeySource,
  remoteKeySource,
  type VerifyKey,
} from "./jwk.ts";

const NAMESPACE = "auth/validator";

const validatorSchema = z
  .strictObject({
    alg: z.enum(jwtAlgorithms).default("RS256"),
    jwk_url: z.url().optional(),
    jwk_local_path: z.string().min(1).optional(),
    cache: z.boolean().default(false),
    cache_duration: z.number().int().positive().default(900),
    disable_jwk_security: z.boolean().default(false),
    issuer: z.string().optional(),
    audience: z.array(z.string()).optional(),
    roles_key: z.string().min(1).optional(),
    roles_key_is_nested: z.boolean().default(false),
    roles: z.array(z.string()).optional(),
    scopes: z.array(z.string()).optional(),
    scopes_key: z.string().min(1).default("scope"),
    scopes_matcher: z.enum(["any", "all"]).default("any"),
    cookie_key: z.string().min(1).optional(),
    auth_header_name: z.string().min(1).default("Authorization"),
    propagate_claims: z.array(z.tuple([z.string().min(1), z.string().min(1)])).default([]),
    leeway: durationMs.default(1000),
    key_identify_strategy: z.literal("kid").optional(),
    operation_debug: z.boolean().optional(),
  })
  .superRefine((cfg, ctx) => {
    if (!cfg.jwk_url && !cfg.jwk_local_path) {
      ctx.addIssue({ code: "custom", path: ["jwk_url"], message: "one of jwk_url or jwk_local_path is required" });
    }
    if (cfg.jwk_url && !cfg.jwk_local_path && cfg.jwk_url.startsWith("http:") && !cfg.disable_jwk_security) {
      ctx.addIssue({
        code: "custom",
        path: ["jwk_url"],
        message: "a plain-http JWK URL needs disable_jwk_security: true (as in KrakenD)",
      });
    }
  });

/** The parsed `auth/validator` namespace. */
export type ValidatorConfig = z.output<typeof validatorSchema>;

/** What `validate` answers: the verified claims, or the status and a client-safe message. */
export type JwtResult =
  | { ok: true; claims: Record<string, unknown> }
  | { ok: false; status: 401 | 403; message: string };

/** Collaborators a validator may be given; everything has a production default. */
export interface JwtValidatorDeps {
  fetch?: typeof fetch;
  /** Clock in milliseconds since the epoch. */
  now?: () => number;
  /** Verified-token cache: entries live until min(exp, ttlMs); 0 entries disables it. */
  tokenCache?: { maxEntries?: number; ttlMs?: number };
  /** Minimum time between two JWKS downloads caused by unknown kids (default 10 s). */
  jwksCooldownMs?: number;
}

const parsedConfigs = new WeakMap<object, ValidatorConfig>();

function parseValidatorConfig(raw: unknown): ValidatorConfig {
  if (raw !== null && typeof raw === "object") {
    const hit = parsedConfigs.get(raw);
    if (hit) return hit;
  }
  const cfg = parseNamespace(NAMESPACE, validatorSchema, raw);
  if (raw !== null && typeof raw === "object") parsedConfigs.set(raw, cfg);
  return cfg;
}

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
function signatureValid(key: VerifyKey, signingInput: string, signature: Buffer): boolean {
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

const base64url = /^[A-Za-z0-9_-]*$/;
const MAX_TOKEN_LENGTH = 16 * 1024;

function decodeJsonPart(part: string): Record<string, unknown> | undefined {
  if (!base64url.test(part)) return undefined;
  try {
    const value: unknown = JSON.parse(Buffer.from(part, "base64url").toString("utf8"));
    return value !== null && typeof value === "object" && !Array.isArray(value)
      ? (value as Record<string, unknown>)
      : undefined;
  } catch {
    return undefined;
  }
}

const fail401 = (message: string): JwtResult => ({ ok: false, status: 401, message });
const fail403 = (message: string): JwtResult => ({ ok: false, status: 403, message });

function cookieValue(header: string | null, name: string): string | undefined {
  if (!header) return undefined;
  for (const part of header.split(";")) {
    const eq = part.indexOf("=");
    if (eq > 0 && part.slice(0, eq).trim() === name) return decodeURIComponent(part.slice(eq + 1).trim());
  }
  return undefined;
}

/** The part of a client request the validator reads. */
export interface TokenSource {
  headers: { get(name: string): string | null };
}

function tokenFrom(req: TokenSource, cfg: ValidatorConfig): string | undefined {
  const header = req.headers.get(cfg.auth_header_name);
  if (header) {
    // KrakenD takes the Bearer credential from the header; a bare token is accepted in custom headers
    if (header.length > 7 && header.slice(0, 7).toLowerCase() === "bearer ") return header.slice(7).trim();
    if (cfg.auth_header_name.toLowerCase() !== "authorization") return header.trim();
  }
  return cfg.cookie_key ? cookieValue(req.headers.get("cookie"), cfg.cookie_key) : undefined;
}

/**
 * Builds a KrakenD `auth/validator` for one endpoint. Tokens come from the Bearer header (or
 * `auth_header_name`), else from the `cookie_key` cookie. The header `alg` must equal the configured one
 * (so `none` and HS/asymmetric confusion fail), the `kid` must name a key of the JWKS, the signature is
 * checked synchronously with node:crypto, then `exp`/`nbf` (with `leeway`), `issuer` and every `audience`.
 * Those failures are 401; a missing role or scope is 403. Verified tokens are cached by their raw text
 * until min(exp, ttl), so a repeat costs one map lookup.
 * @example
 * const jwt = createJwtValidator({ alg: "EdDSA", jwk_url: "https://auth/.well-known/jwks.json", roles: ["admin"] });
 * const r = await jwt.validate(req); if (!r.ok) return new Response(null, { status: r.status });
 */
export function createJwtValidator(
  raw: unknown,
  deps: JwtValidatorDeps = {},
): {
  /** Synchronous when the token is cached or its key is known; a promise only while a JWKS downloads. */
  validate(req: TokenSource): JwtResult | Promise<JwtResult>;
  /** JWKS downloads so far. */
  jwksFetches(): number;
  /** The parsed config, e.g. for `propagate_claims`. */
  config: ValidatorConfig;
} {
  const cfg = parseValidatorConfig(raw);
  const now = deps.now ?? Date.now;
  const keys = keySourceFor(cfg, deps, now);
  const cacheTtlMs = deps.tokenCache?.ttlMs ?? 60_000;
  const cacheMax = deps.tokenCache?.maxEntries ?? 10_000;
  // a cached entry also keeps its authorization verdict: it depends on nothing but the claims and the config
  const verified =
    cacheMax > 0
      ? new Lru<string, { claims: Record<string, unknown>; until: number; verdict: JwtResult | null }>(cacheMax)
      : null;
  const leewaySec = Math.max(1, Math.round(cfg.leeway / 1000));
  const roles = cfg.roles?.length ? cfg.roles : undefined;
  const scopes = cfg.scopes?.length ? cfg.scopes : undefined;

  const authorize = (claims: Record<string, unknown>): JwtResult => {
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

  const checkClaims = (claims: Record<string, unknown>, nowSec: number): JwtResult | undefined => {
    const { exp, nbf } = claims;
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

  const finish = (token: string, key: VerifyKey | undefined, parts: string[]): JwtResult => {
    if (!key) return fail401("unknown key id");
    const signature = Buffer.from(parts[2]!, "base64url");
    if (!signatureValid(key, `${parts[0]}.${parts[1]}`, signature)) return fail401("invalid signature");
    const claims = decodeJsonPart(parts[1]!);
    if (!claims) return fail401("malformed token");
    const t = now();
    const bad = checkClaims(claims, Math.floor(t / 1000));
    if (bad) return bad;
    if (verified && (claims.nbf === undefined || (claims.nbf as number) * 1000 <= t)) {
      const expMs = typeof claims.exp === "number" ? (claims.exp + leewaySec) * 1000 : Number.POSITIVE_INFINITY;
      verified.set(token, { claims, until: Math.min(expMs, t + cacheTtlMs), verdict: null });
    }
    return authorize(claims);
  };

  const check = (req: TokenSource): JwtResult | Promise<JwtResult> => {
    const token = tokenFrom(req, cfg);
    if (!token) return fail401("missing token");
    if (verified) {
      const hit = verified.get(token);
      if (hit) {
        if (now() < hit.until) {
          hit.verdict ??= authorize(hit.claims);
          return hit.verdict;
        }
        verified.delete(token);
      }
    }
    if (token.length > MAX_TOKEN_LENGTH) return fail401("malformed token");
    const parts = token.split(".");
    if (parts.length !== 3 || !base64url.test(parts[2]!)) return fail401("malformed token");
    const header = decodeJsonPart(parts[0]!);
    if (!header) return fail401("malformed token");
    if (header.alg !== cfg.alg) return fail401("unexpected algorithm");
    if (header.crit !== undefined) return fail401("unsupported critical header");
    if (typeof header.kid !== "string") return fail401("missing key id");
    const key = keys.get(header.kid);
    return key instanceof Promise ? key.then((k) => finish(token, k, parts)) : finish(token, key, parts);
  };

  return {
    validate: (req) => {
      try {
        return check(req);
      } catch {
        return fail401("malformed token");
      }
    },
    jwksFetches: () => keys.fetches(),
    config: cfg,
  };
}

function keySourceFor(cfg: ValidatorConfig, deps: JwtValidatorDeps, now: () => number): KeySource {
  if (cfg.jwk_local_path) {
    let doc: unknown;
    try {
      doc = JSON.parse(readFileSync(cfg.jwk_local_path, "utf8"));
    } catch (err) {
      throw new Error(`${NAMESPACE}.jwk_local_path: cannot read a JWK set from ${cfg.jwk_local_path}`, { cause: err });
    }
    const keys = keysFromJwks(doc, cfg.alg);
    if (keys.size === 0) throw new Error(`${NAMESPACE}.jwk_local_path: no key usable with alg ${cfg.alg}`);
    return localKeySource(keys);
  }
  return remoteKeySource({
    url: cfg.jwk_url!,
    alg: cfg.alg,
    ttlMs: cfg.cache_duration * 1000,
    cooldownMs: deps.jwksCooldownMs ?? 10_000,
    fetch: deps.fetch ?? fetch,
    now,
  });
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
