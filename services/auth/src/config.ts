import { defineServiceConfig, secret } from "@shared/config";
import { relayConfigSchema } from "@shared/events";
import { z } from "zod";

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
    lockout: z
      .object({
        maxFailures: z.number().int().min(1).default(5),
        windowSec: z.number().int().min(1).default(900),
        lockSec: z.number().int().min(1).default(900),
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
