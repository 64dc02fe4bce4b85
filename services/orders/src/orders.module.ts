// Wires the orders service from ready-made parts (config, logger, database, buses); main.ts calls it for
// the binary, scripts/dev.ts for the single-process dev stack.
import { embedMigrations } from "@shared/db/migrations.macro.ts" with { type: "macro" };
import { startServiceRelay } from "@shared/events";
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
import ordersProto from "../../../proto/shop/orders/v1/orders.proto" with { type: "text" };
import { type OrdersConfig, ordersConfigSchema } from "./config.ts";
import { createApp } from "./orders.app.ts";
import { catalogClient, catalogTransportOf } from "./orders.catalog.ts";
import { makeOrdersEndpoints } from "./orders.endpoints.ts";
import { withKillAfterReserve } from "./orders.fault.ts";
import { PgOrdersRepo } from "./orders.repo.ts";
import { idempotencyKeys } from "./orders.schema.ts";
import { OrdersService } from "./orders.service.ts";
import { startReservationSweeper } from "./orders.sweeper.ts";

/** The service's schema and embedded migrations. */
export const schema = "orders";
export const migrations = embedMigrations("drizzle/orders");

/**
 * Migrates (when configured), relays the outbox when there is an event bus (a lone binary without NATS
 * keeps its events in the outbox until it has somewhere durable to send them), then serves HTTP and
 * `orders.get` on the request bus; calls catalog through it (prices, stock reservations), and sweeps
 * placements left pending and stock left held for ended orders.
 */
export async function startOrders(rt: ServiceRuntime<OrdersConfig>): Promise<RunningService> {
  await migrateOnStart(rt, schema, migrations);
  const metrics = serviceMetrics(rt, "orders");
  const relay = rt.events
    ? await startServiceRelay({
        service: "orders",
        schema,
        events: rt.events,
        config: rt.config.relay,
        database: rt.database,
        logger: rt.logger,
        registry: metrics.registry,
      })
    : null;
  const toCatalog = catalogTransportOf(rt.config.catalog, rt.bus.transport);
  const catalog = withKillAfterReserve(
    catalogClient({ ...rt.config.catalog, transport: toCatalog.transport, tracer: rt.telemetry?.tracer }),
    process.env,
  );
  const orders = new OrdersService(new PgOrdersRepo(rt.database), catalog, rt.config.reservation);
  const endpoints = makeOrdersEndpoints(orders);
  const idempotency = new PgIdempotencyStore(rt.database, idempotencyKeys, rt.config.idempotency);
  const purge = startIdempotencyPurge({
    store: idempotency,
    everyMs: rt.config.idempotency.purgeEveryMs,
    logger: rt.logger,
  });
  const sweeper = startReservationSweeper({ orders, policy: rt.config.reservation, logger: rt.logger });
  const appOptions = serviceAppOptions(rt, metrics, { busReady: true });
  return serveService(rt, {
    name: "orders",
    description: "Orders",
    // Catalog is not a readiness check: orders still reads, lists and cancels while catalog is down.
    app: createApp({ endpoints, idempotency, ...appOptions }),
    grpc: { proto: ordersProto, endpoints: Object.values(endpoints), readiness: appOptions.readiness },
    metrics,
    busEndpoints: [endpoints.get],
    background: [sweeper, relay, purge, toCatalog],
  });
}

/** The orders service as the binary and the dev stack start it. */
export const ordersModule = defineServiceModule({
  name: "orders",
  configSchema: ordersConfigSchema,
  schema,
  start: startOrders,
});
