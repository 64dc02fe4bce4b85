import type { Context } from "hono";
import { AppError } from "../errors/index.ts";
import type { Identity } from "./env.ts";

const uuid = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/**
 * Reads the identity the gateway forwards. The gateway strips client copies of these headers, so a
 * service trusts them; a malformed value is treated as no identity.
 */
export function identityOf(c: Context): Identity | null {
  const userId = c.req.header("x-user-id");
  if (!userId || !uuid.test(userId)) return null;
  const roles = (c.req.header("x-user-roles") ?? "")
    .split(",")
    .map((r) => r.trim())
    .filter(Boolean);
  return { userId: userId.toLowerCase(), roles };
}

/** The forwarded identity, or an `unauthenticated` AppError when there is none. */
export function requireIdentity(c: Context): Identity {
  const identity = identityOf(c);
  if (!identity) throw new AppError("unauthenticated", "This operation needs an authenticated caller");
  return identity;
}
