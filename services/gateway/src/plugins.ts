// The gateway-security modules bound to the factory names the runtime builder calls.
import { createHttpCache } from "./cache/http-cache.ts";
import type { GatewayPlugins } from "./proxy/endpoint.build.ts";
import { claimToHeaders } from "./security/claims.ts";
import { createCors } from "./security/cors.ts";
import { createJwtValidator } from "./security/jwt.ts";
import { createBreaker } from "./traffic/breaker.ts";
import { createRouterRateLimit } from "./traffic/ratelimit.ts";

/** The production plugins; `logger` receives breaker state changes when `log_status_change` is set. */
export function createPlugins(logger?: { warn(obj: object, msg?: string): void }): GatewayPlugins {
  return {
    createJwtValidator: (cfg) => createJwtValidator(cfg),
    claimToHeaders,
    createCors,
    createRouterRateLimit,
    createBreaker: (cfg) => createBreaker(cfg, { logger }),
    createHttpCache: (cfg) => createHttpCache(cfg),
  };
}
