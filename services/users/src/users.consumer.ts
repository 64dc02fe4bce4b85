// users' durable consumer of `auth.user.registered`: creates the profile (id = the auth user id) in one
// transaction with the inbox row, so a redelivered event changes nothing. A consumer whose stream does not
// exist yet (auth has not started) is retried in the background, so users starts in any order.
import type { Database } from "@shared/db";
import { eventMetrics, startWhenReady, userRegistered } from "@shared/events";
import type { EventBus } from "@shared/events/bus.ts";
import type { Logger } from "@shared/log";
import type { Registry } from "prom-client";
import type { UsersConfig } from "./config.ts";
import { inbox } from "./users.schema.ts";
import type { UsersService } from "./users.service.ts";

/** Starts (or keeps trying to start) the consumer; `stop` lets in-flight events finish. */
export async function startUsersConsumer(options: {
  events: EventBus;
  config: UsersConfig["consumer"];
  database: Database;
  users: UsersService;
  logger: Logger;
  registry?: Registry;
}): Promise<{ stop(): Promise<void> }> {
  const { events, config, logger } = options;
  await events.provision([{ name: config.deadLetterStream, subjects: ["dlq.>"] }]);
  const metrics = options.registry ? eventMetrics(options.registry) : undefined;
  return startWhenReady({
    stream: config.stream,
    durable: config.durable,
    retryMs: config.retryMs,
    logger,
    start: () =>
      events.consume({
        stream: config.stream,
        durable: config.durable,
        events: [userRegistered],
        database: options.database,
        inbox,
        maxDeliver: config.maxDeliver,
        ackWaitMs: config.ackWaitMs,
        concurrency: config.concurrency,
        metrics,
        logger,
        handle: async (event) => {
          // The kit opened the transaction (with the inbox row); the repository joins it.
          const { userId, email, displayName } = event.payload;
          await options.users.createForRegistration({ id: userId, email, displayName });
        },
      }),
  });
}
