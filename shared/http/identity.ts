import type { Context } from "hono";
import { type Actor, identityFromHeaders, identityHeaderNames } from "../identity/caller.ts";

/** The identity the gateway forwards in the request's headers; a malformed one is no identity. */
export function identityOf(c: Context): Actor | null {
  const userId = c.req.header(identityHeaderNames.userId);
  // Anonymous requests (most reads) skip the second header lookup.
  return userId ? identityFromHeaders(userId, c.req.header(identityHeaderNames.roles)) : null;
}
