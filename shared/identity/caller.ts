// The caller's identity as the gateway forwards it (`X-User-Id`, `X-User-Roles`): the one reader and
// writer of those headers for every transport (HTTP routes, NATS calls, the in-process bus).
import { AppError } from "../errors/index.ts";

/** Who is asking: the end user a call is made for, as the gateway vouched for it. */
export interface Actor {
  userId: string;
  roles: readonly string[];
}

/** Names of the identity headers, lower case. */
export const identityHeaderNames = { userId: "x-user-id", roles: "x-user-roles" } as const;

/** The role that may act on anyone's data. */
export const adminRole = "admin";

const uuid = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** The roles of an `X-User-Roles` value: comma-separated, trimmed, empty entries dropped. */
export function parseRoles(header: string | null | undefined): string[] {
  if (!header) return [];
  return header
    .split(",")
    .map((r) => r.trim())
    .filter(Boolean);
}

/**
 * The identity in the values of a request's or message's `X-User-Id` and `X-User-Roles`. The gateway
 * strips client copies of these headers, so a service trusts them; a user id that is not a UUID is treated
 * as no identity, and the id is lower-cased.
 */
export function identityFromHeaders(userId: string | null | undefined, roles: string | null | undefined): Actor | null {
  if (!userId || !uuid.test(userId)) return null;
  return { userId: userId.toLowerCase(), roles: parseRoles(roles) };
}

/** Writes `actor` into `headers` as `X-User-Id` and `X-User-Roles`; nothing for no actor. */
export function writeIdentityHeaders(headers: Record<string, string>, actor: Actor | null): void {
  if (!actor) return;
  headers[identityHeaderNames.userId] = actor.userId;
  headers[identityHeaderNames.roles] = actor.roles.join(",");
}

/** True when the caller holds the admin role; no caller is no admin. */
export function isAdmin(actor: Actor | null | undefined): boolean {
  return actor?.roles.includes(adminRole) ?? false;
}

/** The caller of a call, or an `unauthenticated` AppError when the call carries no identity. */
export function requireCaller(ctx: { identity: Actor | null }): Actor {
  if (!ctx.identity) throw new AppError("unauthenticated", "This operation needs an authenticated caller");
  return ctx.identity;
}
