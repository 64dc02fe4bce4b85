import type { MiddlewareHandler } from "hono";
import { AppError } from "../errors/index.ts";
import { identityHeaderNames, parseRoles } from "./caller.ts";
import { type AccessTokenVerifierOptions, createAccessTokenVerifier } from "./verifier.ts";

/** Options of {@link verifyForwardedIdentity}. */
export interface ForwardedIdentityOptions extends AccessTokenVerifierOptions {
  /** Off: every request passes untouched (the gateway alone is trusted). */
  enabled: boolean;
}

const bearer = /^Bearer\s+([A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+)\s*$/i;

const rolesOf = (header: string | undefined) => [...new Set(parseRoles(header))].sort();

const sameRoles = (a: string[], b: string[]) => a.length === b.length && a.every((r, i) => r === b[i]);

/** Reads one request header or metadata value by its lower-case name. */
export type HeaderReader = (name: string) => string | undefined;

/**
 * Defence in depth behind the gateway, for any transport's headers: a call that carries `X-User-Id` must
 * also carry the access token the gateway forwarded (`Authorization: Bearer …`), the token must verify
 * against the auth service's JWKS, and its `sub` and `roles` must equal `X-User-Id` and `X-User-Roles`;
 * otherwise it throws `unauthenticated`. Calls without identity headers pass (the endpoint decides).
 * Null when verification is off.
 * @example const check = forwardedIdentityCheck(options); if (check) await check((name) => metadata.get(name));
 */
export function forwardedIdentityCheck(
  options: ForwardedIdentityOptions,
): ((header: HeaderReader) => Promise<void>) | null {
  if (!options.enabled) return null;
  const verify = createAccessTokenVerifier(options);
  return async (header) => {
    const userId = header(identityHeaderNames.userId);
    const rolesHeader = header(identityHeaderNames.roles);
    if (userId === undefined && rolesHeader === undefined) return;
    if (userId === undefined) throw new AppError("unauthenticated", "X-User-Roles arrived without X-User-Id");
    const token = bearer.exec(header("authorization") ?? "")?.[1];
    if (!token) throw new AppError("unauthenticated", "The forwarded identity comes without its access token");
    const verified = await verify(token);
    if (verified.sub.toLowerCase() !== userId.trim().toLowerCase()) {
      throw new AppError("unauthenticated", "X-User-Id does not match the access token");
    }
    if (!sameRoles(rolesOf(verified.roles.join(",")), rolesOf(rolesHeader))) {
      throw new AppError("unauthenticated", "X-User-Roles does not match the access token");
    }
  };
}

/**
 * The HTTP middleware of {@link forwardedIdentityCheck}: a request whose identity headers do not match
 * its forwarded access token answers 401 problem+json.
 *
 * @example
 * app.use(verifyForwardedIdentity({ enabled: config.identity.verify, jwksUrl, issuer: "shop-auth", audience: "shop" }));
 */
export function verifyForwardedIdentity(options: ForwardedIdentityOptions): MiddlewareHandler {
  const check = forwardedIdentityCheck(options);
  if (check === null) return async (_c, next) => next();
  return async (c, next) => {
    await check((name) => c.req.header(name));
    return next();
  };
}
