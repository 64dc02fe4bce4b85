import { defineServiceConfig } from "@shared/config";
import { identityConfigSchema } from "@shared/identity";
import { z } from "zod";

/** How orders calls catalog: one call's budget (retries included), retries, and the breaker. */
const catalogClientSchema = z.object({
  timeoutMs: z
    .number()
    .int()
    .min(10)
    .max(60_000)
    .default(800)
    .describe("budget of one catalog call, retries included; placing an order answers 503 within it"),
  retries: z.number().int().min(0).max(5).default(1).describe("extra attempts after an unavailable answer"),
  breaker: z
    .object({
      failureThreshold: z.number().int().min(1).default(5).describe("consecutive failures that open the circuit"),
      openMs: z.number().int().min(0).default(5_000).describe("how long the circuit stays open before a trial call"),
    })
    .prefault({}),
});

/** How the outbox reaches JetStream: relay mode and the stream orders publishes into. */
const relaySchema = z.object({
  mode: z
    .enum(["notify", "wal"])
    .default("notify")
    .describe("notify: LISTEN/NOTIFY plus polling; wal: tail the outbox through a logical replication slot"),
  pollMs: z.number().int().min(10).default(1_000).describe("notify mode: poll this often when no notification comes"),
  batchSize: z.number().int().min(1).max(10_000).default(500).describe("events read and published per round"),
  stream: z
    .object({
      name: z.string().default("ORDERS"),
      duplicateWindowMs: z.number().int().min(1_000).default(120_000).describe("JetStream drops re-sent ids within it"),
      maxAgeMs: z
        .number()
        .int()
        .min(0)
        .default(7 * 86_400_000)
        .describe("0 keeps events forever"),
    })
    .prefault({}),
});

/** Resolved relay config. */
export type RelayConfig = z.output<typeof relaySchema>;

/** The orders service's config: the kit's sections plus its own keys. */
export const ordersConfigSchema = defineServiceConfig(
  "orders",
  {
    identity: identityConfigSchema().prefault({}),
    migrateOnStart: z.boolean().default(true).describe("apply pending migrations before serving"),
    catalog: catalogClientSchema.prefault({}),
    relay: relaySchema.prefault({}),
  },
  { port: 8084 },
);

/** Resolved orders config. */
export type OrdersConfig = z.output<typeof ordersConfigSchema>;
