// The `auth/validator` of one endpoint, composed from its parts: the parsed config, a key source (local
// file or remote JWKS), the synchronous checks of `jwt.verify.ts` and a cache of verified tokens.
import { readFileSync } from "node:fs";
import { Lru } from "../cache/lru.ts";
import { type KeySource, keysFromJwks, localKeySource, remoteKeySource, type VerifyKey } from "./jwks.ts";
import { parseValidatorConfig, VALIDATOR_NAMESPACE, type ValidatorConfig } from "./jwt.config.ts";
import { type TokenSource, tokenFrom } from "./jwt.token.ts";
import {
  authorizer,
  canonicalBase64url,
  claimsCheck,
  decodeJsonPart,
  fail401,
  type JwtResult,
  MAX_TOKEN_LENGTH,
  mediaType,
  signatureValid,
} from "./jwt.verify.ts";

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

/**
 * Builds a KrakenD `auth/validator` for one endpoint. Tokens come from the Bearer header (or
 * `auth_header_name`), else from the `cookie_key` cookie. The header `alg` must equal the configured one
 * (so `none` and HS/asymmetric confusion fail), the `kid` must name a key of the JWKS, the signature is
 * checked synchronously with node:crypto, then `exp`/`nbf` (with `leeway`), `issuer` and every `audience`.
 * Every part must be canonical base64url; `exp` is required unless `allow_missing_exp`; the header `typ`
 * must match `typ` when it is set.
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
  const authorize = authorizer(cfg);
  const checkClaims = claimsCheck(cfg, leewaySec);
  const typ = cfg.typ === undefined ? undefined : mediaType(cfg.typ);

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
    // canonical parts only: the cache keys on the text, and a second spelling must not pass as the first
    if (parts.length !== 3 || !canonicalBase64url(parts[2]!)) return fail401("malformed token");
    const header = decodeJsonPart(parts[0]!);
    if (!header) return fail401("malformed token");
    if (header.alg !== cfg.alg) return fail401("unexpected algorithm");
    if (typ !== undefined && (typeof header.typ !== "string" || mediaType(header.typ) !== typ)) {
      return fail401("unexpected token type");
    }
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
      throw new Error(`${VALIDATOR_NAMESPACE}.jwk_local_path: cannot read a JWK set from ${cfg.jwk_local_path}`, {
        cause: err,
      });
    }
    const keys = keysFromJwks(doc, cfg.alg);
    if (keys.size === 0) throw new Error(`${VALIDATOR_NAMESPACE}.jwk_local_path: no key usable with alg ${cfg.alg}`);
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
