// Wires the catalog service from ready-made parts (config, logger, database, bus); main.ts calls it for
// the binary, scripts/dev.ts for the single-process dev stack.
import { migrate } from "@shared/db";
import { embedMigrations } from "@shared/db/migrations.macro.ts" with { type: "macro" };
import { connectEventBus, type EventBus } from "@shared/events/bus.ts";
import { serveHttp } from "@shared/http";
import { identityOptionsOf, verifyForwardedIdentity } from "@shared/identity";
import { drainServer } from "@shared/lifecycle";
import { createMetrics } from "@shared/metrics";
import { defineServiceModule, type RunningService, type ServiceRuntime } from "@shared/service";
import { createApp } from "./app.ts";
import { makeCatalogEndpoints } from "./catalog.endpoints.ts";
import { publishProductChanged } from "./catalog.events.ts";
import { PgCatalogRepo } from "./catalog.repo.ts";
import { CatalogService } from "./catalog.service.ts";
import { type CatalogConfig, catalogConfigSchema } from "./config.ts";

/** The service's schema and embedded migrations. */
export const schema = "catalog";
export const migrations = embedMigrations("drizzle/catalog");

/** What catalog is started with: the kit's runtime, plus the event bus the dev stack shares between services. */
export type CatalogRuntime = ServiceRuntime<CatalogConfig> & { events?: EventBus };

/**
 * Migrates (when configured), then serves HTTP and `catalog.products.get` on the bus, and publishes
 * `catalog.product.changed` on core NATS (or the bus given) after each committed change.
 */
export async function startCatalog(rt: CatalogRuntime): Promise<RunningService> {
  if (rt.config.migrateOnStart) await migrate({ sql: rt.database.sql, schema, migrations, logger: rt.logger });
  const natsUrl = rt.config.nats.url;
  const ownBus =
    !rt.events && natsUrl ? await connectEventBus({ natsUrl, name: "catalog-events", logger: rt.logger }) : null;
  const events = rt.events ?? ownBus;
  const catalog = new CatalogService(new PgCatalogRepo(rt.database), {
    onProductChanged: events ? publishProductChanged(events, rt.logger) : undefined,
  });
  const endpoints = makeCatalogEndpoints(catalog);
  const served = await rt.bus.serve({ name: "catalog", version: rt.version, description: "Products and prices" }, [
    endpoints.productsGet,
  ]);
  const app = createApp({
    catalog,
    logger: rt.logger,
    accessLogger: rt.accessLogger,
    identity: verifyForwardedIdentity(identityOptionsOf(rt.config.identity)),
    version: rt.version,
    cache: rt.config.cache,
    metrics: createMetrics({ service: "catalog", version: rt.version }),
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
      await ownBus?.close();
    },
  };
}

/** The catalog service as the binary and the dev stack start it. */
export const catalogModule = defineServiceModule({
  name: "catalog",
  configSchema: catalogConfigSchema,
  schema,
  start: startCatalog,
});
