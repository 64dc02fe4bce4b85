// Wires the orders service from ready-made parts (config, logger, database, bus); main.ts calls it for the
// binary, the dev stack can start it in-process.
import { migrate } from "@shared/db";
import { embedMigrations } from "@shared/db/migrations.macro.ts" with { type: "macro" };
import { startServiceRelay } from "@shared/events";
import { connectEventBus, type EventBus } from "@shared/events/bus.ts";
import { serveHttp } from "@shared/http";
import { identityOptionsOf, verifyForwardedIdentity } from "@shared/identity";
import { drainServer } from "@shared/lifecycle";
import { createMetrics } from "@shared/metrics";
import { defineServiceModule, type RunningService, type ServiceRuntime } from "@shared/service";
import { createApp } from "./app.ts";
import { type OrdersConfig, ordersConfigSchema } from "./config.ts";
import { catalogClient } from "./orders.catalog.ts";
import { makeOrdersEndpoints } from "./orders.endpoints.ts";
import { PgOrdersRepo } from "./orders.repo.ts";
import { OrdersService } from "./orders.service.ts";

/** The service's schema and embedded migrations. */
export const schema = "orders";
export const migrations = embedMigrations("drizzle/orders");

/** What orders is started with: the kit's runtime, plus the event bus the dev stack shares between services. */
export type OrdersRuntime = ServiceRuntime<OrdersConfig> & { events?: EventBus };

/**
 * Migrates (when configured), then serves HTTP and `orders.get` on the bus; calls catalog through the bus.
 * Relays the outbox to the event bus: the one given (dev stack) or JetStream at the NATS URL. A lone
 * binary without NATS keeps its events in the outbox until it has somewhere durable to send them.
 */
export async function startOrders(rt: OrdersRuntime): Promise<RunningService> {
  if (rt.config.migrateOnStart) await migrate({ sql: rt.database.sql, schema, migrations, logger: rt.logger });
  const metrics = createMetrics({ service: "orders", version: rt.version });
  const natsUrl = rt.config.nats.url;
  const ownBus =
    !rt.events && natsUrl ? await connectEventBus({ natsUrl, name: "orders-events", logger: rt.logger }) : null;
  const events = rt.events ?? ownBus;
  const relay = events
    ? await startServiceRelay({
        service: "orders",
        schema,
        events,
        config: rt.config.relay,
        database: rt.database,
        logger: rt.logger,
        registry: metrics.registry,
      })
    : null;
  const catalog = catalogClient({ transport: rt.bus.transport, ...rt.config.catalog });
  const endpoints = makeOrdersEndpoints(new OrdersService(new PgOrdersRepo(rt.database), catalog));
  const served = await rt.bus.serve({ name: "orders", version: rt.version, description: "Orders" }, [endpoints.get]);
  const app = createApp({
    endpoints,
    logger: rt.logger,
    accessLogger: rt.accessLogger,
    identity: verifyForwardedIdentity(identityOptionsOf(rt.config.identity)),
    version: rt.version,
    metrics,
    // Catalog is not a readiness check: orders still reads, lists and cancels while catalog is down.
    readiness: { database: () => rt.database.ping(), bus: () => rt.bus.ping() },
    bodyLimitBytes: rt.config.http.bodyLimitBytes,
  });
  const server = serveHttp(app, rt.config.http);
  rt.logger.info({ url: server.url.toString() }, "serving");
  return {
    url: server.url,
    async stop() {
      await served.stop();
      await drainServer(server, rt.config.http.drainMs);
      await relay?.stop();
      await ownBus?.close();
    },
  };
}

/** The orders service as the binary and the dev stack start it. */
export const ordersModule = defineServiceModule({
  name: "orders",
  configSchema: ordersConfigSchema,
  schema,
  start: startOrders,
});
