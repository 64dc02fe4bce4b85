import { z } from "zod";

/**
 * The `identity` config section every service may add: whether to verify forwarded identity against
 * the auth JWKS, and where the keys are.
 * @example defineServiceConfig("orders", { identity: identityConfigSchema().prefault({}) }, { port: 8084 })
 */
export function identityConfigSchema() {
  return z.object({
    verify: z.boolean().default(false).describe("require and check the forwarded access token"),
    jwksUrl: z.string().default("http://127.0.0.1:8082/.well-known/jwks.json"),
    issuer: z.string().default("shop-auth"),
    audience: z.string().default("shop"),
    cacheTtlSec: z.number().int().positive().default(300),
  });
}

/** Resolved `identity` config section. */
export type IdentityConfig = z.output<ReturnType<typeof identityConfigSchema>>;

/** The middleware options for a resolved `identity` section. */
export function identityOptionsOf(config: IdentityConfig) {
  return {
    enabled: config.verify,
    jwksUrl: config.jwksUrl,
    issuer: config.issuer,
    audience: config.audience,
    cacheTtlMs: config.cacheTtlSec * 1000,
  };
}
