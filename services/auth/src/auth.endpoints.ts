import { implement } from "@shared/endpoint";
import { requireCaller } from "@shared/identity";
import { clientAddressOf } from "./auth.client-address.ts";
import {
  authKeysJwks,
  authKeysRotate,
  authLogin,
  authLogout,
  authRefresh,
  authRegister,
  authRolesChange,
  toAccountDto,
  toTokensDto,
} from "./auth.contract.ts";
import type { AuthService } from "./auth.service.ts";

/** What the endpoints need besides the service: the public keys. */
export interface JwksSource {
  jwks(): Promise<{ keys: Record<string, unknown>[] }>;
}

/**
 * The auth endpoints: each contract bound to the service; register, login, refresh, logout and JWKS are
 * public. Logins are throttled per client address, read from X-Forwarded-For `trustedProxies` entries from
 * the right (default 1: the entry the gateway wrote).
 */
export function makeAuthEndpoints(auth: AuthService, keys: JwksSource, options: { trustedProxies?: number } = {}) {
  const trustedProxies = options.trustedProxies ?? 1;
  return {
    register: implement(authRegister, async (input) => toAccountDto(await auth.register(input.email, input.password))),
    login: implement(authLogin, async ({ credentials, forwardedFor }) =>
      toTokensDto(
        await auth.login(credentials.email, credentials.password, clientAddressOf(forwardedFor, trustedProxies)),
      ),
    ),
    refresh: implement(authRefresh, async (input) => toTokensDto(await auth.refresh(input.refreshToken))),
    logout: implement(authLogout, (input) => auth.logout(input.refreshToken)),
    changeRoles: implement(authRolesChange, async (input, ctx) =>
      toAccountDto(await auth.changeRoles(requireCaller(ctx), input.id, input.change)),
    ),
    rotateKeys: implement(authKeysRotate, (_input, ctx) => auth.rotateKeys(requireCaller(ctx))),
    jwks: implement(authKeysJwks, async () => (await keys.jwks()) as never),
  };
}

/** The endpoints of the auth service. */
export type AuthEndpoints = ReturnType<typeof makeAuthEndpoints>;
