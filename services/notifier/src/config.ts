import { defineServiceConfig } from "@shared/config";
import { z } from "zod";

/** How the notifier consumes: durable name, redelivery and dead-letter limits, concurrency, streams. */
const consumerSchema = z.object({
  durable: z
    .string()
    .default("notifier")
    .describe("durable consumer name prefix (`<durable>-orders`, `<durable>-auth`); instances share them"),
  maxDeliver: z.number().int().min(1).max(100).default(5).describe("deliveries before an event is dead-lettered"),
  ackWaitMs: z.number().int().min(100).default(30_000).describe("redelivery when no ack came within this"),
  concurrency: z.number().int().min(1).max(256).default(16).describe("events handled at once per stream"),
  streams: z
    .object({
      orders: z.string().default("ORDERS").describe("stream holding orders.order.*"),
      auth: z.string().default("AUTH").describe("stream holding auth.user.registered"),
      deadLetter: z.string().default("DLQ").describe("stream capturing dlq.> (provisioned by the notifier)"),
    })
    .prefault({}),
  retryMs: z
    .number()
    .int()
    .min(50)
    .default(1_000)
    .describe("retry starting a consumer whose stream does not exist yet"),
});

/** Resolved consumer config. */
export type ConsumerConfig = z.output<typeof consumerSchema>;

/** The notifier service's config: the kit's sections plus its own keys. */
export const notifierConfigSchema = defineServiceConfig(
  "notifier",
  {
    consumer: consumerSchema.prefault({}),
  },
  { port: 8085 },
);

/** Resolved notifier config. */
export type NotifierConfig = z.output<typeof notifierConfigSchema>;
