// Wires the notifier service from ready-made parts (config, logger, database, bus); main.ts calls it for the
// binary, scripts/dev.ts for the single-process dev stack.
import { migrate } from "@shared/db";
import { embedMigrations } from "@shared/db/migrations.macro.ts" with { type: "macro" };
import { connectEventBus, type EventBus } from "@shared/events/bus.ts";
import { serveHttp } from "@shared/http";
import { identityOptionsOf, verifyForwardedIdentity } from "@shared/identity";
import { drainServer } from "@shared/lifecycle";
import { createMetrics } from "@shared/metrics";
import { defineServiceModule, type RunningService, type ServiceRuntime } from "@shared/service";
import { createApp } from "./app.ts";
import { type NotifierConfig, notifierConfigSchema } from "./config.ts";
import { type NotifierConsumers, startNotifierConsumers } from "./notifier.consumer.ts";
import { makeNotifierEndpoints } from "./notifier.endpoints.ts";
import { PgNotificationsRepo } from "./notifier.repo.ts";
import { NotifierService } from "./notifier.service.ts";

/** The service's schema and embedded migrations. */
export const schema = "notifier";
export const migrations = embedMigrations("drizzle/notifier");

/** What the notifier is started with: the kit's runtime, plus the event bus the dev stack shares. */
export type NotifierRuntime = ServiceRuntime<NotifierConfig> & { events?: EventBus };

/**
 * Migrates (when configured), starts the durable consumers and serves HTTP. Events come from the bus
 * given (the dev stack's in-process one) or from JetStream at the NATS URL; a lone binary without NATS
 * consumes nothing, which the log says.
 */
export async function startNotifier(rt: NotifierRuntime): Promise<RunningService> {
  if (rt.config.migrateOnStart) await migrate({ sql: rt.database.sql, schema, migrations, logger: rt.logger });
  const notifier = new NotifierService(new PgNotificationsRepo(rt.database));
  const metrics = createMetrics({ service: "notifier", version: rt.version });
  const natsUrl = rt.config.nats.url;
  const ownBus =
    !rt.events && natsUrl ? await connectEventBus({ natsUrl, name: "notifier-events", logger: rt.logger }) : null;
  const events = rt.events ?? ownBus;
  let consumers: NotifierConsumers | null = null;
  if (events) {
    consumers = await startNotifierConsumers({
      events,
      config: rt.config.consumer,
      database: rt.database,
      notifier,
      logger: rt.logger,
      registry: metrics.registry,
    });
  } else {
    rt.logger.warn("no NATS URL: the notifier consumes no events (durable consumers need JetStream)");
  }
  const app = createApp({
    endpoints: makeNotifierEndpoints(notifier),
    logger: rt.logger,
    accessLogger: rt.accessLogger,
    identity: verifyForwardedIdentity(identityOptionsOf(rt.config.identity)),
    version: rt.version,
    metrics,
    // NATS is not a readiness check: listing notifications works while it is down, and consumers resume.
    readiness: { database: () => rt.database.ping() },
    bodyLimitBytes: rt.config.http.bodyLimitBytes,
  });
  const server = serveHttp(app, rt.config.http);
  rt.logger.info({ url: server.url.toString() }, "serving");
  return {
    url: server.url,
    async stop() {
      await drainServer(server, rt.config.http.drainMs);
      await consumers?.stop();
      await ownBus?.close();
    },
  };
}

/** The notifier service as the binary and the dev stack start it. */
export const notifierModule = defineServiceModule({
  name: "notifier",
  configSchema: notifierConfigSchema,
  schema,
  start: startNotifier,
});
