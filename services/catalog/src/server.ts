// Wires the catalog service from ready-made parts (config, logger, database, bus); main.ts calls it for
// the binary, scripts/dev.ts for the single-process dev stack.
import { migrate } from "@shared/db";
import { embedMigrations } from "@shared/db/migrations.macro.ts" with { type: "macro" };
import { serveHttp } from "@shared/http";
import { identityOptionsOf, verifyForwardedIdentity } from "@shared/identity";
import { drainServer } from "@shared/lifecycle";
import { createMetrics } from "@shared/metrics";
import { defineServiceModule, type RunningService, type ServiceRuntime } from "@shared/service";
import { createApp } from "./app.ts";
import { makeCatalogEndpoints } from "./catalog.endpoints.ts";
import { PgCatalogRepo } from "./catalog.repo.ts";
import { CatalogService } from "./catalog.service.ts";
import { type CatalogConfig, catalogConfigSchema } from "./config.ts";

/** The service's schema and embedded migrations. */
export const schema = "catalog";
export const migrations = embedMigrations("drizzle/catalog");

/** Migrates (when configured), then serves HTTP and `catalog.products.get` on the bus. */
export async function startCatalog(rt: ServiceRuntime<CatalogConfig>): Promise<RunningService> {
  if (rt.config.migrateOnStart) await migrate({ sql: rt.database.sql, schema, migrations, logger: rt.logger });
  // Issue 4 plugs the `catalog.product.changed` publisher in here as `onProductChanged`.
  const catalog = new CatalogService(new PgCatalogRepo(rt.database));
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
