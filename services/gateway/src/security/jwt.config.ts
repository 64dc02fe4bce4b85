// The `auth/validator` namespace as KrakenD writes it, parsed once per config object.
import { z } from "zod";
import { durationMs } from "../config/duration.ts";
import { parseNamespace } from "../config/namespace.ts";
import { jwtAlgorithms } from "./jwks.ts";

/** The namespace name, also the prefix of every error about it. */
export const VALIDATOR_NAMESPACE = "auth/validator";

const validatorSchema = z
  .strictObject({
    alg: z.enum(jwtAlgorithms).default("RS256"),
    jwk_url: z.url().optional(),
    jwk_local_path: z.string().min(1).optional(),
    cache: z.boolean().default(false),
    cache_duration: z.number().int().positive().default(900),
    disable_jwk_security: z.boolean().default(false),
    issuer: z.string().optional(),
    audience: z.array(z.string()).optional(),
    roles_key: z.string().min(1).optional(),
    roles_key_is_nested: z.boolean().default(false),
    roles: z.array(z.string()).optional(),
    scopes: z.array(z.string()).optional(),
    scopes_key: z.string().min(1).default("scope"),
    scopes_matcher: z.enum(["any", "all"]).default("any"),
    cookie_key: z.string().min(1).optional(),
    auth_header_name: z.string().min(1).default("Authorization"),
    propagate_claims: z.array(z.tuple([z.string().min(1), z.string().min(1)])).default([]),
    leeway: durationMs.default(1000),
    key_identify_strategy: z.literal("kid").optional(),
    operation_debug: z.boolean().optional(),
    // our extensions (KrakenD has no such keys): a token without `exp` never expires, so it must be allowed
    // explicitly; `typ` pins the header's media type (e.g. "at+jwt", RFC 9068) so other JWTs of the issuer fail
    allow_missing_exp: z.boolean().default(false),
    typ: z.string().min(1).optional(),
  })
  .superRefine((cfg, ctx) => {
    if (!cfg.jwk_url && !cfg.jwk_local_path) {
      ctx.addIssue({ code: "custom", path: ["jwk_url"], message: "one of jwk_url or jwk_local_path is required" });
    }
    if (cfg.jwk_url && !cfg.jwk_local_path && cfg.jwk_url.startsWith("http:") && !cfg.disable_jwk_security) {
      ctx.addIssue({
        code: "custom",
        path: ["jwk_url"],
        message: "a plain-http JWK URL needs disable_jwk_security: true (as in KrakenD)",
      });
    }
  });

/** The parsed `auth/validator` namespace. */
export type ValidatorConfig = z.output<typeof validatorSchema>;

// the validator and the claim headers of one endpoint read the same namespace object: parse it once
const parsedConfigs = new WeakMap<object, ValidatorConfig>();

/** Parses `auth/validator`; throws an Error naming the bad field. */
export function parseValidatorConfig(raw: unknown): ValidatorConfig {
  if (raw !== null && typeof raw === "object") {
    const hit = parsedConfigs.get(raw);
    if (hit) return hit;
  }
  const cfg = parseNamespace(VALIDATOR_NAMESPACE, validatorSchema, raw);
  if (raw !== null && typeof raw === "object") parsedConfigs.set(raw, cfg);
  return cfg;
}
