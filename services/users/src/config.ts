import { defineServiceConfig } from "@shared/config";
import { z } from "zod";

/** How users consumes `auth.user.registered`. */
const consumerSchema = z.object({
  stream: z.string().default("AUTH").describe("stream holding auth.user.registered"),
  durable: z.string().default("users").describe("durable consumer name; instances share it"),
  maxDeliver: z.number().int().min(1).max(100).default(5).describe("deliveries before an event is dead-lettered"),
  ackWaitMs: z.number().int().min(100).default(30_000).describe("redelivery when no ack came within this"),
  concurrency: z.number().int().min(1).max(256).default(8).describe("events handled at once"),
  deadLetterStream: z.string().default("DLQ").describe("stream capturing dlq.> (provisioned here too)"),
  retryMs: z.number().int().min(50).default(1_000).describe("retry starting the consumer while its stream is missing"),
});

/** The users service's config: the kit's sections plus its own keys. */
export const usersConfigSchema = defineServiceConfig(
  "users",
  {
    consumer: consumerSchema.prefault({}),
  },
  { port: 8081 },
);

/** Resolved users config. */
export type UsersConfig = z.output<typeof usersConfigSchema>;
