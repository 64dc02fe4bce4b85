// Wires the orders service from ready-made parts (config, logger, database, bus); main.ts calls it for the
// binary, the dev stack can start it in-process.
import { migrate } from "@shared/db";
import { embedMigrations } from "@shared/db/migrations.macro.ts" with { type: "macro" };
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

/** Migrates (when configured), then serves HTTP and `orders.get` on the bus; calls catalog through the bus. */
export async function startOrders(rt: ServiceRuntime<OrdersConfig>): Promise<RunningService> {
  if (rt.config.migrateOnStart) await migrate({ sql: rt.database.sql, schema, migrations, logger: rt.logger });
  const catalog = catalogClient({ transport: rt.bus.transport, ...rt.config.catalog });
  const endpoints = makeOrdersEndpoints(new OrdersService(new PgOrdersRepo(rt.database), catalog));
  const served = await rt.bus.serve({ name: "orders", version: rt.version, description: "Orders" }, [endpoints.get]);
  const app = createApp({
    endpoints,
    logger: rt.logger,
    accessLogger: rt.accessLogger,
    identity: verifyForwardedIdentity(identityOptionsOf(rt.config.identity)),
    version: rt.version,
    metrics: createMetrics({ service: "orders", version: rt.version }),
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
