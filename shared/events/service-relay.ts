// A publishing service's relay, as every such service runs it in its own process: provision the service's
// stream (exactly its durable event subjects: a wildcard like `orders.>` would also capture the requests
// the service serves, e.g. `orders.get`) and run the outbox relay in the configured mode. The relay elects
// one leader per schema through an advisory lock, so every instance may start it.
import type { Registry } from "prom-client";
import { z } from "zod";
import type { Database } from "../db/index.ts";
import type { EventBus } from "./bus.ts";
import { platformEvents } from "./contracts.ts";
import { eventMetrics } from "./metrics.ts";
import { type EventsLogger, startOutboxRelay } from "./relay.ts";
import { startWalRelay } from "./wal/wal-relay.ts";

/** The `relay` config section of a publishing service; `stream` is the name of the stream it owns. */
export function relayConfigSchema(defaults: { stream: string }) {
  return z.object({
    mode: z
      .enum(["notify", "wal"])
      .default("notify")
      .describe("notify: LISTEN/NOTIFY plus polling; wal: tail the outbox through a logical replication slot"),
    pollMs: z.number().int().min(10).default(1_000).describe("notify mode: poll this often when no notification comes"),
    batchSize: z.number().int().min(1).max(10_000).default(500).describe("events read and published per round"),
    stream: z
      .object({
        name: z.string().default(defaults.stream),
        duplicateWindowMs: z
          .number()
          .int()
          .min(1_000)
          .default(120_000)
          .describe("JetStream drops re-sent ids within it"),
        maxAgeMs: z
          .number()
          .int()
          .min(0)
          .default(7 * 86_400_000)
          .describe("0 keeps events forever"),
      })
      .prefault({}),
  });
}

/** Resolved `relay` section. */
export type RelayConfig = z.output<ReturnType<typeof relayConfigSchema>>;

/** The subjects of the durable events a service owns. */
export function ownedDurableSubjects(service: string): string[] {
  return platformEvents
    .filter((e) => e.delivery === "jetstream" && e.subject.startsWith(`${service}.`))
    .map((e) => e.subject);
}

/** Provisions the service's stream and starts its outbox relay in the configured mode. */
export async function startServiceRelay(options: {
  service: string;
  schema: string;
  events: EventBus;
  config: RelayConfig;
  database: Database;
  logger: EventsLogger;
  registry?: Registry;
}): Promise<{ stop(): Promise<void> }> {
  const { config, events, logger } = options;
  await events.provision([
    {
      name: config.stream.name,
      subjects: ownedDurableSubjects(options.service),
      duplicateWindowMs: config.stream.duplicateWindowMs,
      maxAgeMs: config.stream.maxAgeMs,
    },
  ]);
  const common = {
    sql: options.database.sql,
    schema: options.schema,
    publisher: events.publisher,
    logger,
    metrics: options.registry ? eventMetrics(options.registry) : undefined,
  };
  const relay =
    config.mode === "wal"
      ? startWalRelay(common)
      : startOutboxRelay({ ...common, pollMs: config.pollMs, batchSize: config.batchSize });
  logger.info({ mode: config.mode, stream: config.stream.name }, "outbox relay started");
  return relay;
}
