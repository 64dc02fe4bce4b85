import type { Context } from "hono";
import { type Actor, identityFromHeaders, requireCaller } from "../identity/caller.ts";

/** The identity the gateway forwards in the request's headers; a malformed one is no identity. */
export function identityOf(c: Context): Actor | null {
  return identityFromHeaders((name) => c.req.header(name));
}

/** The forwarded identity, or an `unauthenticated` AppError when there is none. */
export function requireIdentity(c: Context): Actor {
  return requireCaller({ identity: identityOf(c) });
}
