import { z } from "zod";

/** The `idempotency` config section of a service that honours `Idempotency-Key`. */
export function idempotencyConfigSchema() {
  return z.object({
    ttlMs: z
      .number()
      .int()
      .min(60_000)
      .default(86_400_000)
      .describe("how long a key and its answer are kept for retries (published in the API documents: 24 h)"),
    purgeEveryMs: z.number().int().min(1_000).default(600_000).describe("how often expired keys are deleted"),
  });
}

/** Resolved `idempotency` section. */
export type IdempotencyConfig = z.output<ReturnType<typeof idempotencyConfigSchema>>;
