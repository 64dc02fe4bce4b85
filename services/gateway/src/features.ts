// The gateway's features, each built from its `extra_config` namespace when an endpoint is compiled:
// JWT validation and claim headers, CORS, rate limits, circuit breakers and the HTTP cache.
import { createHttpCache } from "./cache/http-cache.ts";
import type { GatewayFeatures } from "./proxy/endpoint.build.ts";
import { claimToHeaders } from "./security/claims.ts";
import { createCors } from "./security/cors.ts";
import { createJwtValidator } from "./security/jwt.ts";
import { createBreaker } from "./traffic/breaker.ts";
import { createRouterRateLimit } from "./traffic/ratelimit.ts";

/** Every feature this build has; `logger` receives breaker state changes when `log_status_change` is set. */
export function createFeatures(logger?: { warn(obj: object, msg?: string): void }): GatewayFeatures {
  return {
    createJwtValidator: (cfg) => createJwtValidator(cfg),
    claimToHeaders,
    createCors,
    createRouterRateLimit,
    createBreaker: (cfg) => createBreaker(cfg, { logger }),
    createHttpCache: (cfg) => createHttpCache(cfg),
  };
}
