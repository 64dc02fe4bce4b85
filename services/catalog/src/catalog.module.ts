// Wires the catalog service from ready-made parts (config, logger, database, buses); main.ts calls it for
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
import { createApp } from "./catalog.app.ts";
import { makeCatalogEndpoints } from "./catalog.endpoints.ts";
import { publishProductChanged } from "./catalog.events.ts";
import { PgCatalogRepo } from "./catalog.repo.ts";
import { CatalogService } from "./catalog.service.ts";
import { type CatalogConfig, catalogConfigSchema } from "./config.ts";

/** The service's schema and embedded migrations. */
export const schema = "catalog";
export const migrations = embedMigrations("drizzle/catalog");

/**
 * Migrates (when configured), then serves HTTP, and `catalog.products.get`, `catalog.stock.reserve` and
 * `catalog.stock.release` on the request bus, and publishes `catalog.product.changed` on core NATS (or the
 * bus given) after each committed change, stock moves included.
 */
export async function startCatalog(rt: ServiceRuntime<CatalogConfig>): Promise<RunningService> {
  await migrateOnStart(rt, schema, migrations);
  const catalog = new CatalogService(new PgCatalogRepo(rt.database), {
    onProductChanged: rt.events ? publishProductChanged(rt.events, rt.logger) : undefined,
  });
  const endpoints = makeCatalogEndpoints(catalog);
  const metrics = serviceMetrics(rt, "catalog");
  return serveService(rt, {
    name: "catalog",
    description: "Products and prices",
    app: createApp({ endpoints, cache: rt.config.cache, ...serviceAppOptions(rt, metrics, { busReady: true }) }),
    metrics,
    busEndpoints: [endpoints.productsGet, endpoints.stockReserve, endpoints.stockRelease],
  });
}

export const catalogModule = defineServiceModule({
  name: "catalog",
  configSchema: catalogConfigSchema,
  schema,
  start: startCatalog,
});
