import { createRoute, type OpenAPIHono } from "@hono/zod-openapi";
import { type AppEnv, problemResponses, requireIdentity } from "@shared/http";
import {
  AccountDto,
  AccountIdParams,
  JwksDto,
  LoginBody,
  RefreshBody,
  RegisterBody,
  RoleChangeBody,
  RotationDto,
  TokensDto,
  toAccountDto,
  toTokensDto,
} from "./auth.contract.ts";
import type { AuthService } from "./auth.service.ts";

const identity = [{ gatewayIdentity: [] }];
const json = <T>(schema: T, description: string) => ({ description, content: { "application/json": { schema } } });
const body = <T>(schema: T) => ({ body: { content: { "application/json": { schema } }, required: true } });
// Token responses must never be cached by anything between us and the client.
const noStore = { "cache-control": "no-store", pragma: "no-cache" };

const register = createRoute({
  method: "post",
  path: "/auth/register",
  tags: ["auth"],
  summary: "Register an account with email and password",
  request: body(RegisterBody),
  responses: { 201: json(AccountDto, "Registered"), ...problemResponses(400, 409, 413, 415) },
});

const login = createRoute({
  method: "post",
  path: "/auth/login",
  tags: ["auth"],
  summary: "Log in: an access token and a refresh token",
  request: body(LoginBody),
  responses: { 200: json(TokensDto, "Tokens"), ...problemResponses(400, 401, 413, 415, 429) },
});

const refresh = createRoute({
  method: "post",
  path: "/auth/refresh",
  tags: ["auth"],
  summary: "Exchange a refresh token for new tokens (a reused one revokes the session)",
  request: body(RefreshBody),
  responses: { 200: json(TokensDto, "Tokens"), ...problemResponses(400, 401, 413, 415) },
});

const logout = createRoute({
  method: "post",
  path: "/auth/logout",
  tags: ["auth"],
  summary: "End the session a refresh token belongs to",
  request: body(RefreshBody),
  responses: { 204: { description: "Logged out" }, ...problemResponses(400, 413, 415) },
});

const changeRoles = createRoute({
  method: "post",
  path: "/auth/users/{id}/roles",
  tags: ["auth"],
  summary: "Grant or revoke roles (admin)",
  security: identity,
  request: { params: AccountIdParams, ...body(RoleChangeBody) },
  responses: { 200: json(AccountDto, "The account"), ...problemResponses(400, 401, 403, 404, 413, 415) },
});

const rotateKeys = createRoute({
  method: "post",
  path: "/auth/keys/rotate",
  tags: ["auth"],
  summary: "Rotate the token signing key (admin)",
  security: identity,
  responses: { 200: json(RotationDto, "The new and the previous key ids"), ...problemResponses(401, 403, 412) },
});

const jwks = createRoute({
  method: "get",
  path: "/.well-known/jwks.json",
  tags: ["auth"],
  summary: "Public keys that verify access tokens (current and previous)",
  responses: { 200: json(JwksDto, "JSON Web Key Set") },
});

/** What the routes need besides the service: the public keys. */
export interface JwksSource {
  jwks(): Promise<{ keys: Record<string, unknown>[] }>;
}

/** HTTP transport of the auth service: validates, converts, calls the service. */
export function mountAuthRoutes(app: OpenAPIHono<AppEnv>, auth: AuthService, keys: JwksSource): void {
  app.openapi(register, async (c) => {
    const { email, password } = c.req.valid("json");
    return c.json(toAccountDto(await auth.register(email, password)), 201);
  });
  app.openapi(login, async (c) => {
    const { email, password } = c.req.valid("json");
    return c.json(toTokensDto(await auth.login(email, password)), 200, noStore);
  });
  app.openapi(refresh, async (c) => {
    return c.json(toTokensDto(await auth.refresh(c.req.valid("json").refreshToken)), 200, noStore);
  });
  app.openapi(logout, async (c) => {
    await auth.logout(c.req.valid("json").refreshToken);
    return c.body(null, 204);
  });
  app.openapi(changeRoles, async (c) => {
    const account = await auth.changeRoles(requireIdentity(c), c.req.valid("param").id, c.req.valid("json"));
    return c.json(toAccountDto(account), 200);
  });
  app.openapi(rotateKeys, async (c) => c.json(await auth.rotateKeys(requireIdentity(c)), 200));
  app.openapi(jwks, async (c) =>
    // Short cache: verifiers refetch on an unknown kid anyway, and a rotation shows up within a minute.
    c.json((await keys.jwks()) as never, 200, { "cache-control": "public, max-age=60" }),
  );
}
