import { createPublicKey, createSecretKey, type KeyObject } from "node:crypto";

/** Algorithms KrakenD's `auth/validator` accepts in `alg`. */
export const jwtAlgorithms = [
  "EdDSA",
  "HS256",
  "HS384",
  "HS512",
  "RS256",
  "RS384",
  "RS512",
  "ES256",
  "ES384",
  "ES512",
  "PS256",
  "PS384",
  "PS512",
] as const;
export type JwtAlgorithm = (typeof jwtAlgorithms)[number];

/** A verification key usable for exactly one algorithm (the configured one). */
export interface VerifyKey {
  kid: string;
  alg: JwtAlgorithm;
  /** HMAC secret for HS*, public key otherwise. */
  key: KeyObject;
}

const curveOf: Partial<Record<JwtAlgorithm, string>> = { ES256: "P-256", ES384: "P-384", ES512: "P-521" };

/**
 * Converts one JWK to a key for `alg`, or returns undefined when the JWK cannot serve that algorithm
 * (wrong `kty`, curve, `use` or `alg`, RSA under 2048 bits). Refusing mismatched key types here is what
 * defeats algorithm confusion: an RSA or OKP public key never becomes an HMAC secret.
 */
export function toVerifyKey(jwk: Record<string, unknown>, alg: JwtAlgorithm): VerifyKey | undefined {
  const kid = typeof jwk.kid === "string" ? jwk.kid : "";
  if (jwk.use !== undefined && jwk.use !== "sig") return undefined;
  if (jwk.alg !== undefined && jwk.alg !== alg) return undefined;
  try {
    if (alg.startsWith("HS")) {
      if (jwk.kty !== "oct" || typeof jwk.k !== "string") return undefined;
      const secret = Buffer.from(jwk.k, "base64url");
      return secret.length > 0 ? { kid, alg, key: createSecretKey(secret) } : undefined;
    }
    if (alg === "EdDSA") {
      if (jwk.kty !== "OKP" || jwk.crv !== "Ed25519") return undefined;
    } else if (alg.startsWith("ES")) {
      if (jwk.kty !== "EC" || jwk.crv !== curveOf[alg]) return undefined;
    } else if (jwk.kty !== "RSA") {
      return undefined;
    }
    const { d: _private, ...pub } = jwk;
    const key = createPublicKey({ key: pub as never, format: "jwk" });
    if (key.asymmetricKeyType === "rsa" && (key.asymmetricKeyDetails?.modulusLength ?? 0) < 2048) return undefined;
    return { kid, alg, key };
  } catch {
    return undefined;
  }
}

/** Reads a JWK Set (`{ keys: [...] }`) or a single JWK into the keys usable for `alg`, indexed by `kid`. */
export function keysFromJwks(doc: unknown, alg: JwtAlgorithm): Map<string, VerifyKey> {
  const out = new Map<string, VerifyKey>();
  if (doc === null || typeof doc !== "object") return out;
  const list = Array.isArray((doc as { keys?: unknown }).keys) ? (doc as { keys: unknown[] }).keys : [doc];
  for (const jwk of list) {
    if (jwk === null || typeof jwk !== "object") continue;
    const key = toVerifyKey(jwk as Record<string, unknown>, alg);
    if (key && !out.has(key.kid)) out.set(key.kid, key);
  }
  return out;
}

/** Where the validator gets its keys from: a fixed local set, or a remote JWKS with TTL and kid-miss refresh. */
export interface KeySource {
  /** The key for `kid`: synchronously when known and fresh, otherwise after (at most) one fetch. */
  get(kid: string): VerifyKey | undefined | Promise<VerifyKey | undefined>;
  /** Number of JWKS downloads so far (for metrics and tests). */
  fetches(): number;
}

/** A key source over keys known at start (`jwk_local_path`). */
export function localKeySource(keys: Map<string, VerifyKey>): KeySource {
  return { get: (kid) => keys.get(kid), fetches: () => 0 };
}

/**
 * A remote JWKS: downloaded on first use, kept for `ttlMs` (then refreshed in the background while the old
 * keys keep serving), downloaded again when a token names an unknown `kid`, at most once per `cooldownMs`
 * so random kids cannot hammer the identity server. Concurrent callers share one download; a failed
 * download keeps the previous keys.
 */
export function remoteKeySource(opts: {
  url: string;
  alg: JwtAlgorithm;
  ttlMs: number;
  cooldownMs: number;
  fetch: typeof fetch;
  now: () => number;
  timeoutMs?: number;
}): KeySource {
  let keys = new Map<string, VerifyKey>();
  let fetchedAt = Number.NEGATIVE_INFINITY;
  let lastAttempt = Number.NEGATIVE_INFINITY;
  let inflight: Promise<void> | null = null;
  let count = 0;

  const refresh = (): Promise<void> => {
    if (inflight) return inflight;
    lastAttempt = opts.now();
    count++;
    inflight = (async () => {
      try {
        const res = await opts.fetch(opts.url, {
          headers: { accept: "application/jwk-set+json, application/json" },
          signal: AbortSignal.timeout(opts.timeoutMs ?? 5000),
        });
        if (!res.ok) return;
        const next = keysFromJwks(await res.json(), opts.alg);
        keys = next;
        fetchedAt = opts.now();
      } catch {
        // keep the previous keys; the next miss or expiry retries after the cooldown
      } finally {
        inflight = null;
      }
    })();
    return inflight;
  };

  return {
    get(kid) {
      const now = opts.now();
      const known = keys.get(kid);
      if (known && now - fetchedAt < opts.ttlMs) return known;
      if (!known && inflight) return inflight.then(() => keys.get(kid));
      if (now - lastAttempt < opts.cooldownMs) return known;
      // an expired set keeps serving while it is refreshed in the background; an unknown kid waits
      if (known) {
        void refresh();
        return known;
      }
      return refresh().then(() => keys.get(kid));
    },
    fetches: () => count,
  };
}
