import { z } from "@hono/zod-openapi";
import { defineContract } from "@shared/endpoint";
import { type PublicAccount, roles, type TokenPair } from "./auth.model.ts";

const email = z.email().max(254).openapi({ example: "alice@example.com" });
// Length and classes are checked by the service (so the bootstrap admin obeys them too); the
// transport only bounds the size so nobody hashes a megabyte.
const password = z.string().min(1).max(1024).openapi({ example: "correct horse 42" });
const refreshToken = z.string().min(1).max(512);

/** Body of a registration. */
export const RegisterBody = z.object({ email, password }).strict().openapi("Register");

/** Body of a login. */
export const LoginBody = z.object({ email, password }).strict().openapi("Login");

/** Body of a refresh or a logout. */
export const RefreshBody = z.object({ refreshToken }).strict().openapi("RefreshTokenBody");

/** A role name. */
export const RoleDto = z.enum(roles).openapi("Role");

/** Body of a role change. */
export const RoleChangeBody = z
  .object({ grant: z.array(RoleDto).max(2).optional(), revoke: z.array(RoleDto).max(2).optional() })
  .strict()
  .openapi("RoleChange");

/** Path parameters naming one account. */
export const AccountIdParams = z.object({
  id: z.uuid().openapi({ param: { name: "id", in: "path" }, example: "0190d9a4-6b1e-7c3a-9f51-2b9d3c4e5f60" }),
});

/** An account as the API shows it (no password hash). */
export const AccountDto = z
  .object({ id: z.uuid(), email: z.email(), roles: z.array(RoleDto), createdAt: z.iso.datetime() })
  .openapi("Account");
export type AccountDto = z.infer<typeof AccountDto>;

/** Tokens answered by login and refresh (OAuth 2 token response field names). */
export const TokensDto = z
  .object({
    access_token: z.string(),
    token_type: z.literal("Bearer"),
    expires_in: z.number().int().openapi({ description: "access token lifetime in seconds" }),
    refresh_token: z.string(),
    refresh_expires_in: z.number().int(),
  })
  .openapi("Tokens");

/** The public signing keys. */
export const JwksDto = z
  .object({
    keys: z.array(
      z
        .object({ kty: z.string(), crv: z.string(), x: z.string(), kid: z.string(), alg: z.string(), use: z.string() })
        .passthrough(),
    ),
  })
  .openapi("Jwks");

/** The result of a key rotation. */
export const RotationDto = z.object({ kid: z.string(), previousKid: z.string().nullable() }).openapi("KeyRotation");

/** `auth.register`: an account from an email and a password (public). */
export const authRegister = defineContract({
  name: "auth.register",
  summary: "Register an account with email and password",
  input: RegisterBody,
  output: AccountDto,
  errors: ["invalid_argument", "conflict"],
  idempotent: false,
});

/** The client address chain as the gateway forwards it; login throttling reads the entry it wrote. */
const forwardedFor = z
  .string()
  .max(2048)
  .optional()
  .openapi({ description: "Written by the gateway (the peer address); auth throttles logins per address." });

/** `auth.login`: tokens for an email and a password (public), throttled per email and client address. */
export const authLogin = defineContract({
  name: "auth.login",
  summary: "Log in: an access token and a refresh token",
  input: z.object({ credentials: LoginBody, forwardedFor }),
  output: TokensDto,
  errors: ["invalid_argument", "unauthenticated", "too_many_requests"],
  idempotent: false,
});

/** `auth.refresh`: new tokens for a refresh token (public). */
export const authRefresh = defineContract({
  name: "auth.refresh",
  summary: "Exchange a refresh token for new tokens (a reused one revokes the session)",
  input: RefreshBody,
  output: TokensDto,
  errors: ["invalid_argument", "unauthenticated"],
  idempotent: false,
});

/** `auth.logout`: ends a refresh token's session (public); answers nothing. */
export const authLogout = defineContract({
  name: "auth.logout",
  summary: "End the session a refresh token belongs to",
  input: RefreshBody,
  output: z.void(),
  errors: ["invalid_argument"],
  idempotent: true,
});

/** `auth.roles.change` (admin): grants and revokes roles of the account `id`. */
export const authRolesChange = defineContract({
  name: "auth.roles.change",
  summary: "Grant or revoke roles (admin)",
  input: z.object({ id: AccountIdParams.shape.id, change: RoleChangeBody }),
  output: AccountDto,
  errors: ["invalid_argument", "unauthenticated", "permission_denied", "not_found"],
  idempotent: false,
});

/** `auth.keys.rotate` (admin): a new current signing key. */
export const authKeysRotate = defineContract({
  name: "auth.keys.rotate",
  summary: "Rotate the token signing key (admin)",
  input: z.object({}),
  output: RotationDto,
  errors: ["unauthenticated", "permission_denied", "precondition_failed"],
  idempotent: false,
});

/** `auth.keys.jwks`: the public keys that verify access tokens (public). */
export const authKeysJwks = defineContract({
  name: "auth.keys.jwks",
  summary: "Public keys that verify access tokens (current and previous)",
  input: z.object({}),
  output: JwksDto,
  errors: [],
  idempotent: true,
});

/** Domain -> DTO. */
export function toAccountDto(a: PublicAccount): AccountDto {
  return { id: a.id, email: a.email, roles: a.roles, createdAt: a.createdAt.toISOString() };
}

/** Domain -> DTO. */
export function toTokensDto(t: TokenPair): z.infer<typeof TokensDto> {
  return {
    access_token: t.accessToken,
    token_type: "Bearer",
    expires_in: t.accessExpiresIn,
    refresh_token: t.refreshToken,
    refresh_expires_in: t.refreshExpiresIn,
  };
}
