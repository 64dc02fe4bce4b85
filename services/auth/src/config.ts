import { defineServiceConfig, secret } from "@shared/config";
import { relayConfigSchema } from "@shared/events";
import { z } from "zod";
import { defaultThrottle } from "./auth.throttle.ts";

/** The auth service's config: the kit's sections plus its own keys. */
export const authConfigSchema = defineServiceConfig(
  "auth",
  {
    relay: relayConfigSchema({ stream: "AUTH" }).prefault({}),
    tokens: z
      .object({
        issuer: z.string().min(1).default("shop-auth"),
        audience: z.string().min(1).default("shop"),
        accessTtlSec: z.number().int().min(30).max(86_400).default(900),
        refreshTtlSec: z
          .number()
          .int()
          .min(60)
          .default(30 * 24 * 3600),
      })
      .prefault({}),
    keys: z
      .object({
        privateKey: secret(z.string().min(1))
          .optional()
          .describe("Ed25519 signing key (PKCS#8 PEM or JWK); unset: keys are generated and kept in the database"),
        previousKey: secret(z.string().min(1))
          .optional()
          .describe("the key privateKey replaced, still published in the JWKS"),
        encryptionSecret: secret(z.string().min(16))
          .optional()
          .describe("encrypts generated private keys at rest (AES-256-GCM)"),
        reloadSec: z.number().int().min(0).default(30).describe("how often generated keys are re-read"),
      })
      .prefault({}),
    throttle: z
      .object({
        freeFailures: z
          .number()
          .int()
          .min(1)
          .default(defaultThrottle.freeFailures)
          .describe("failed logins per email and client address checked back to back before the pair must wait"),
        baseDelaySec: z
          .number()
          .int()
          .min(1)
          .default(defaultThrottle.baseDelaySec)
          .describe("the first wait; each further failure doubles it"),
        maxDelaySec: z.number().int().min(1).default(defaultThrottle.maxDelaySec).describe("the longest wait"),
        forgetSec: z
          .number()
          .int()
          .min(1)
          .default(defaultThrottle.forgetSec)
          .describe("a pair with no failure for this long starts counting again"),
        accountCeiling: z
          .number()
          .int()
          .min(1)
          .default(defaultThrottle.accountCeiling)
          .describe("failures of one email from all addresses that leave every address one failure before it waits"),
        accountWindowSec: z
          .number()
          .int()
          .min(1)
          .default(defaultThrottle.accountWindowSec)
          .describe("how long a failure counts towards accountCeiling"),
        trustedProxies: z
          .number()
          .int()
          .min(1)
          .default(1)
          .describe(
            "proxies in front of auth that write X-Forwarded-For; the client address is that many entries from the right",
          ),
      })
      .prefault({}),
    prune: z
      .object({
        everySec: z
          .number()
          .int()
          .min(0)
          .default(600)
          .describe("how often stale login attempts and expired sessions are deleted (0: never)"),
      })
      .prefault({}),
    password: z
      .object({
        memoryCost: z.number().int().min(1024).default(65_536).describe("argon2id memory in KiB"),
        timeCost: z.number().int().min(1).default(2).describe("argon2id iterations"),
      })
      .prefault({}),
    bootstrapAdmin: z
      .object({
        email: z.email().optional(),
        password: secret(z.string()).optional(),
      })
      .prefault({}),
  },
  { port: 8082 },
);

/** Resolved auth config. */
export type AuthConfig = z.output<typeof authConfigSchema>;
