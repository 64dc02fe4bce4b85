import { defineServiceConfig } from "@shared/config";
import { relayConfigSchema } from "@shared/events";
import { idempotencyConfigSchema } from "@shared/idempotency";
import { z } from "zod";

/** How orders calls catalog: over which transport, one call's budget (retries included), retries, and the breaker. */
const catalogClientSchema = z
  .object({
    transport: z
      .enum(["nats", "grpc"])
      .default("nats")
      .describe("how orders calls catalog: the request bus (NATS or in-process) or catalog's gRPC listener"),
    grpcUrl: z
      .string()
      .regex(/^[^\s/:]+:\d+$/, "host:port")
      .optional()
      .describe("catalog's gRPC address (host:port), needed when transport is grpc"),
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
  })
  .refine((c) => c.transport !== "grpc" || c.grpcUrl !== undefined, {
    path: ["grpcUrl"],
    message: "catalog's gRPC address is needed when catalog.transport is grpc",
  });

/** How long a placement may stay pending, and how the sweeper that settles stuck ones runs. */
const reservationSchema = z.object({
  pendingTimeoutMs: z
    .number()
    .int()
    .min(1_000)
    .default(30_000)
    .describe(
      "a placement still pending after this is rejected and its stock released (must exceed catalog.timeoutMs)",
    ),
  sweepMs: z.number().int().min(50).default(5_000).describe("pause between sweeps"),
  batch: z.number().int().min(1).max(10_000).default(200).describe("orders settled per sweep and kind"),
});

/** The orders service's config: the kit's sections plus its own keys. */
export const ordersConfigSchema = defineServiceConfig(
  "orders",
  {
    catalog: catalogClientSchema.prefault({}),
    reservation: reservationSchema.prefault({}),
    relay: relayConfigSchema({ stream: "ORDERS" }).prefault({}),
    idempotency: idempotencyConfigSchema().prefault({}),
  },
  { port: 8084 },
);

/** Resolved orders config. */
export type OrdersConfig = z.output<typeof ordersConfigSchema>;
