import { httpRoute } from "@shared/endpoint";
import {
  authKeysJwks,
  authKeysRotate,
  authLogin,
  authLogout,
  authRefresh,
  authRegister,
  authRolesChange,
} from "./auth.contract.ts";

const tags = ["auth"];
// Token responses must never be cached by anything between us and the client.
const noStore = () => ({ "cache-control": "no-store", pragma: "no-cache" });

/** HTTP transport of the auth endpoints, keyed like them. */
export const authRoutes = {
  register: httpRoute(authRegister, {
    method: "post",
    path: "/auth/register",
    tags,
    status: 201,
    description: "Registered",
  }),
  login: httpRoute(authLogin, {
    method: "post",
    path: "/auth/login",
    tags,
    body: "credentials",
    requestHeaders: { forwardedFor: "x-forwarded-for" },
    description: "Tokens",
    headers: noStore,
  }),
  refresh: httpRoute(authRefresh, {
    method: "post",
    path: "/auth/refresh",
    tags,
    description: "Tokens",
    headers: noStore,
  }),
  logout: httpRoute(authLogout, { method: "post", path: "/auth/logout", tags, status: 204, description: "Logged out" }),
  changeRoles: httpRoute(authRolesChange, {
    method: "post",
    path: "/auth/users/{id}/roles",
    tags,
    authenticated: true,
    params: ["id"],
    body: "change",
    description: "The account",
  }),
  rotateKeys: httpRoute(authKeysRotate, {
    method: "post",
    path: "/auth/keys/rotate",
    tags,
    authenticated: true,
    body: false,
    description: "The new and the previous key ids",
  }),
  jwks: httpRoute(authKeysJwks, {
    method: "get",
    path: "/.well-known/jwks.json",
    tags,
    description: "JSON Web Key Set",
    // Short cache: verifiers refetch on an unknown kid anyway, and a rotation shows up within a minute.
    headers: () => ({ "cache-control": "public, max-age=60" }),
  }),
};
