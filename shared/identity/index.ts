export {
  type Actor,
  adminRole,
  identityFromHeaders,
  identityHeaderNames,
  isAdmin,
  parseRoles,
  requireCaller,
  writeIdentityHeaders,
} from "./caller.ts";
export { type IdentityConfig, identityConfigSchema, identityOptionsOf } from "./config.ts";
export {
  type ForwardedIdentityOptions,
  forwardedIdentityCheck,
  type HeaderReader,
  verifyForwardedIdentity,
} from "./middleware.ts";
export {
  type AccessTokenVerifier,
  type AccessTokenVerifierOptions,
  createAccessTokenVerifier,
  type VerifiedToken,
} from "./verifier.ts";
