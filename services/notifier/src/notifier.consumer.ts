// The notifier's durable consumers: one per stream it reads (orders' and auth's), each handling an event in
// one transaction with its inbox row (the kit's startConsumer), so a redelivered event records nothing
// twice. A consumer whose stream does not exist yet (its publisher has not started) is retried in the
// background, so the notifier starts in any order with the rest of the shop.
import type { Database } from "@shared/db";
import {
  type EventContract,
  eventMetrics,
  orderCancelled,
  orderPlaced,
  startWhenReady,
  userRegistered,
} from "@shared/events";
import type { EventBus } from "@shared/events/bus.ts";
import type { Logger } from "@shared/log";
import type { Registry } from "prom-client";
import type { ConsumerConfig } from "./config.ts";
import { toNotifierEvent } from "./notifier.consumed.ts";
import { inbox } from "./notifier.schema.ts";
import type { NotifierService } from "./notifier.service.ts";

/** The running consumers. */
export interface NotifierConsumers {
  /** Whether every consumer has started (its stream existed and it is pulling). */
  readonly started: boolean;
  stop(): Promise<void>;
}

/** Provisions the dead-letter stream and starts (or keeps trying to start) the consumers on the bus. */
export async function startNotifierConsumers(options: {
  events: EventBus;
  config: ConsumerConfig;
  database: Database;
  notifier: NotifierService;
  logger: Logger;
  registry?: Registry;
}): Promise<NotifierConsumers> {
  const { config, logger } = options;
  const { events } = options;
  await events.provision([{ name: config.streams.deadLetter, subjects: ["dlq.>"] }]);
  const metrics = options.registry ? eventMetrics(options.registry) : undefined;

  // One filter subject per consumer: nats-server 2.9 (what CI and Debian ship) knows no `filter_subjects`.
  // Durable names differ per stream although JetStream would not need it: the in-process bus keys
  // durables by name alone.
  const plans: { stream: string; durable: string; events: readonly EventContract[]; filter: string }[] = [
    {
      stream: config.streams.orders,
      durable: `${config.durable}-orders`,
      events: [orderPlaced, orderCancelled],
      filter: "orders.order.*",
    },
    {
      stream: config.streams.auth,
      durable: `${config.durable}-auth`,
      events: [userRegistered],
      filter: userRegistered.subject,
    },
  ];

  const consumers = plans.map((plan) =>
    startWhenReady({
      stream: plan.stream,
      durable: plan.durable,
      retryMs: config.retryMs,
      logger,
      start: () =>
        events.consume({
          stream: plan.stream,
          durable: plan.durable,
          filterSubjects: [plan.filter],
          events: plan.events as readonly (typeof orderPlaced | typeof orderCancelled | typeof userRegistered)[],
          database: options.database,
          inbox,
          maxDeliver: config.maxDeliver,
          ackWaitMs: config.ackWaitMs,
          concurrency: config.concurrency,
          metrics,
          logger,
          handle: async (event) => {
            // The kit opened the transaction (with the inbox row); the repository joins it.
            await options.notifier.record(toNotifierEvent(event));
          },
        }),
    }),
  );

  return {
    get started() {
      return consumers.every((c) => c.started);
    },
    async stop() {
      await Promise.all(consumers.map((c) => c.stop()));
    },
  };
}
