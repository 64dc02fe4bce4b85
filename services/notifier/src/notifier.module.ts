// Wires the notifier service from ready-made parts (config, logger, database, buses); main.ts calls it for
// the binary, scripts/dev.ts for the single-process dev stack.
import { embedMigrations } from "@shared/db/migrations.macro.ts" with { type: "macro" };
import {
  defineServiceModule,
  migrateOnStart,
  type RunningService,
  type ServiceRuntime,
  serveService,
  serviceAppOptions,
  serviceMetrics,
} from "@shared/service";
import notifierProto from "../../../proto/shop/notifier/v1/notifier.proto" with { type: "text" };
import { type NotifierConfig, notifierConfigSchema } from "./config.ts";
import { createApp } from "./notifier.app.ts";
import { startNotifierConsumers } from "./notifier.consumer.ts";
import { makeNotifierEndpoints } from "./notifier.endpoints.ts";
import { PgNotifierRepo } from "./notifier.repo.ts";
import { NotifierService } from "./notifier.service.ts";

/** The service's schema and embedded migrations. */
export const schema = "notifier";
export const migrations = embedMigrations("drizzle/notifier");

/**
 * Migrates (when configured), starts the durable consumers and serves HTTP. Events come from the bus
 * given (JetStream at the NATS URL, or the dev stack's in-process one); a lone binary without NATS
 * consumes nothing, which the log says.
 */
export async function startNotifier(rt: ServiceRuntime<NotifierConfig>): Promise<RunningService> {
  await migrateOnStart(rt, schema, migrations);
  const notifier = new NotifierService(new PgNotifierRepo(rt.database));
  const metrics = serviceMetrics(rt, "notifier");
  const consumers = rt.events
    ? await startNotifierConsumers({
        events: rt.events,
        config: rt.config.consumer,
        database: rt.database,
        notifier,
        logger: rt.logger,
        registry: metrics.registry,
      })
    : null;
  if (!consumers) rt.logger.warn("no NATS URL: the notifier consumes no events (durable consumers need JetStream)");
  const endpoints = makeNotifierEndpoints(notifier);
  const appOptions = serviceAppOptions(rt, metrics);
  return serveService(rt, {
    name: "notifier",
    description: "Notifications",
    // NATS is not a readiness check: listing notifications works while it is down, and consumers resume.
    app: createApp({ endpoints, ...appOptions }),
    grpc: { proto: notifierProto, endpoints: Object.values(endpoints), readiness: appOptions.readiness },
    metrics,
    background: [consumers],
  });
}

export const notifierModule = defineServiceModule({
  name: "notifier",
  configSchema: notifierConfigSchema,
  schema,
  start: startNotifier,
});
