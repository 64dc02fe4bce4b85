// Publishes orders' outbox through the event bus from inside the orders process: provisions the ORDERS
// stream (exactly orders' durable event subjects: a wildcard would also capture the `orders.get` requests
// orders serves) and runs the relay in the configured mode. The relay elects one leader per schema
// through an advisory lock, so every instance may start it.
import type { Database } from "@shared/db";
import { eventMetrics, platformEvents, startOutboxRelay } from "@shared/events";
import type { EventBus } from "@shared/events/bus.ts";
import { startWalRelay } from "@shared/events/wal/wal-relay.ts";
import type { Logger } from "@shared/log";
import type { Registry } from "prom-client";
import type { RelayConfig } from "./config.ts";

/** The subjects of the durable events a service owns. */
export function ownedDurableSubjects(service: string): string[] {
  return platformEvents
    .filter((e) => e.delivery === "jetstream" && e.subject.startsWith(`${service}.`))
    .map((e) => e.subject);
}

/** Provisions the service's stream and starts the outbox relay in the configured mode. */
export async function startRelay(options: {
  service: string;
  schema: string;
  events: EventBus;
  config: RelayConfig;
  database: Database;
  logger: Logger;
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
  const sql = options.database.sql;
  const metrics = options.registry ? eventMetrics(options.registry) : undefined;
  const relay =
    config.mode === "wal"
      ? startWalRelay({
          sql,
          schema: options.schema,
          publisher: events.publisher,
          metrics,
          logger,
        })
      : startOutboxRelay({
          sql,
          schema: options.schema,
          publisher: events.publisher,
          logger,
          metrics,
          pollMs: config.pollMs,
          batchSize: config.batchSize,
        });
  logger.info({ mode: config.mode, stream: config.stream.name }, "outbox relay started");
  return relay;
}
