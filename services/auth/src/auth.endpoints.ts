import { implement } from "@shared/endpoint";
import { requireCaller } from "@shared/identity";
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

/** The auth endpoints: each contract bound to the service; register, login, refresh, logout and JWKS are public. */
export function makeAuthEndpoints(auth: AuthService, keys: JwksSource) {
  return {
    register: implement(authRegister, async (input) => toAccountDto(await auth.register(input.email, input.password))),
    login: implement(authLogin, async (input) => toTokensDto(await auth.login(input.email, input.password))),
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
