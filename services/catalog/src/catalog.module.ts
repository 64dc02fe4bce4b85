// Wires the catalog service from ready-made parts (config, logger, database, buses); main.ts calls it for
// the binary, scripts/dev.ts for the single-process dev stack.
import { afterCommit } from "@shared/db";
import { embedMigrations } from "@shared/db/migrations.macro.ts" with { type: "macro" };
import { PgIdempotencyStore, startIdempotencyPurge } from "@shared/idempotency";
import {
  defineServiceModule,
  migrateOnStart,
  type RunningService,
  type ServiceRuntime,
  serveService,
  serviceAppOptions,
  serviceMetrics,
} from "@shared/service";
import catalogProto from "../../../proto/shop/catalog/v1/catalog.proto" with { type: "text" };
import { createApp } from "./catalog.app.ts";
import { makeCatalogEndpoints } from "./catalog.endpoints.ts";
import { publishProductChanged } from "./catalog.events.ts";
import { PgCatalogRepo } from "./catalog.repo.ts";
import { idempotencyKeys } from "./catalog.schema.ts";
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
  const publish = rt.events ? publishProductChanged(rt.events, rt.logger) : undefined;
  const catalog = new CatalogService(new PgCatalogRepo(rt.database), {
    // A keyed request commits in the idempotency store's transaction: announce the change after it.
    onProductChanged: publish && ((change) => afterCommit(rt.database, () => publish(change))),
  });
  const endpoints = makeCatalogEndpoints(catalog);
  const metrics = serviceMetrics(rt, "catalog");
  const idempotency = new PgIdempotencyStore(rt.database, idempotencyKeys, rt.config.idempotency);
  const purge = startIdempotencyPurge({
    store: idempotency,
    everyMs: rt.config.idempotency.purgeEveryMs,
    logger: rt.logger,
  });
  const appOptions = serviceAppOptions(rt, metrics, { busReady: true });
  return serveService(rt, {
    name: "catalog",
    description: "Products and prices",
    app: createApp({ endpoints, cache: rt.config.cache, idempotency, ...appOptions }),
    grpc: { proto: catalogProto, endpoints: Object.values(endpoints), readiness: appOptions.readiness },
    metrics,
    busEndpoints: [
      endpoints.productsGet,
      endpoints.stockReserve,
      endpoints.stockRelease,
      endpoints.stockHeld,
      endpoints.stockKeep,
    ],
    background: [purge],
  });
}

export const catalogModule = defineServiceModule({
  name: "catalog",
  configSchema: catalogConfigSchema,
  schema,
  start: startCatalog,
});
