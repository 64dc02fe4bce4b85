import { createRemoteJWKSet, customFetch, errors as joseErrors, jwtVerify } from "jose";
import { AppError } from "../errors/index.ts";

/** Options of {@link createAccessTokenVerifier}. */
export interface AccessTokenVerifierOptions {
  /** Where the auth service publishes its keys, e.g. `http://auth:8082/.well-known/jwks.json`. */
  jwksUrl: string;
  issuer: string;
  audience: string;
  /** How long a downloaded JWKS is used before it is downloaded again (default 5 min). */
  cacheTtlMs?: number;
  /** Least time between two downloads caused by an unknown kid (default 30 s). */
  cooldownMs?: number;
  /** Timeout of one JWKS download (default 5 s). */
  timeoutMs?: number;
  /** Accepted clock skew in seconds (default 5). */
  clockToleranceSec?: number;
  /** The fetch used for the JWKS (default global fetch); tests pass their own. */
  fetch?: typeof fetch;
}

/** The identity an access token proves. */
export interface VerifiedToken {
  sub: string;
  roles: string[];
  jti?: string;
  exp?: number;
}

/** Verifies an access token string; throws AppError `unauthenticated` (bad token) or `unavailable` (no keys). */
export type AccessTokenVerifier = (token: string) => Promise<VerifiedToken>;

/**
 * Creates a verifier of the auth service's access tokens: EdDSA only, `kid` looked up in the remote
 * JWKS (downloaded on first use, kept for `cacheTtlMs`, downloaded again for an unknown kid at most
 * once per `cooldownMs`), `iss`, `aud` and `exp` checked, `sub` and `roles` returned.
 *
 * @example
 * const verify = createAccessTokenVerifier({ jwksUrl, issuer: "shop-auth", audience: "shop" });
 * const { sub, roles } = await verify(token);
 */
export function createAccessTokenVerifier(options: AccessTokenVerifierOptions): AccessTokenVerifier {
  const doFetch = options.fetch ?? fetch;
  const keys = createRemoteJWKSet(new URL(options.jwksUrl), {
    cacheMaxAge: options.cacheTtlMs ?? 300_000,
    cooldownDuration: options.cooldownMs ?? 30_000,
    timeoutDuration: options.timeoutMs ?? 5_000,
    [customFetch]: (url: string, init: RequestInit) => doFetch(url, init),
  });
  return async (token) => {
    try {
      const { payload } = await jwtVerify(token, keys, {
        algorithms: ["EdDSA"],
        issuer: options.issuer,
        audience: options.audience,
        clockTolerance: options.clockToleranceSec ?? 5,
        requiredClaims: ["sub", "exp", "iat"],
      });
      const roles = payload.roles;
      if (!Array.isArray(roles) || !roles.every((r) => typeof r === "string")) {
        throw new AppError("unauthenticated", "The access token carries no roles");
      }
      return { sub: payload.sub!, roles, jti: payload.jti, exp: payload.exp };
    } catch (err) {
      throw classify(err);
    }
  };
}

function classify(err: unknown): AppError {
  if (err instanceof AppError) return err;
  // The keys could not be fetched or read: the caller is not at fault, so this is not a 401. Every
  // problem with the token itself is a JOSEError; anything else came from fetch.
  const keysUnavailable =
    !(err instanceof joseErrors.JOSEError) ||
    err instanceof joseErrors.JWKSTimeout ||
    err instanceof joseErrors.JWKSInvalid ||
    err.message.includes("Expected 200 OK");
  if (keysUnavailable) {
    return new AppError("unavailable", "The token signing keys cannot be fetched", { cause: err });
  }
  if (err instanceof joseErrors.JWTExpired) return new AppError("unauthenticated", "The access token has expired");
  return new AppError("unauthenticated", "The access token is invalid", { cause: err });
}
