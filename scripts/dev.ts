// The whole shop in one process for a newcomer (`npm start`): one embedded PostgreSQL (unless
// DATABASE_URL is set), one in-process bus (unless NATS_URL is set), every service on its own port, and
// the gateway in front of them as the single entry point on :8080.
import { buildVersion } from "@shared/build";
import { loadConfig } from "@shared/config";
import { createDatabase, isDriverBackgroundError, resolveDatabaseUrl } from "@shared/db";
import { connectBus, localBus } from "@shared/endpoint";
import { connectEventBus, type EventBus } from "@shared/events/bus.ts";
import { createLifecycle, UNHANDLED_REJECTION } from "@shared/lifecycle";
import { createLogger } from "@shared/log";
import type { ServiceModule } from "@shared/service";
import { authModule } from "../services/auth/src/server.ts";
import { catalogModule } from "../services/catalog/src/server.ts";
import { notifierModule } from "../services/notifier/src/server.ts";
import { ordersModule } from "../services/orders/src/server.ts";
import { usersModule } from "../services/users/src/server.ts";

// Catalog before orders: orders calls catalog on the bus as soon as it serves.
const modules = [authModule, usersModule, catalogModule, ordersModule, notifierModule] as unknown as ServiceModule[];
const version = buildVersion();
const level = (process.env.LOG_LEVEL ?? "info") as "info";
const logger = createLogger({ service: "dev", version, level, pretty: true });
const lifecycle = createLifecycle({ logger, drainMs: 10_000, tolerateRejection: isDriverBackgroundError });

const pg = await resolveDatabaseUrl({
  configuredUrl: process.env.DATABASE_URL,
  dataDir: ".data/pg",
  database: "shop",
  logger,
});
lifecycle.onStop("postgres", () => pg.stop());
const bus = process.env.NATS_URL
  ? await connectBus({ natsUrl: process.env.NATS_URL, name: "dev", logger })
  : localBus();
// One event bus for every service: JetStream with NATS_URL, else in memory (outbox and inbox still used).
const events: EventBus = await connectEventBus({ natsUrl: process.env.NATS_URL, name: "dev-events", logger });
lifecycle.onStop("events", () => events.close());
lifecycle.onStop("bus", () => bus.close());

const urls: Record<string, string> = {};
for (const module of modules) {
  // Each service gets its defaults (its own port) and the shared database; env stays out so PORT and
  // friends meant for one process do not move every service.
  const config = loadConfig({
    schema: module.configSchema,
    argv: [],
    env: {},
    defaults: { db: { url: pg.url }, log: { level, pretty: true } },
  });
  const serviceLogger = createLogger({ service: module.name, version, level, pretty: true });
  const database = createDatabase({ url: pg.url, schema: module.schema, pool: config.db.pool, logger: serviceLogger });
  lifecycle.onStop(`${module.name} database`, () => database.close());
  // Services that publish or consume events take the shared bus as `events` (beyond the kit's runtime).
  const runtime = { config, logger: serviceLogger, version, database, bus, events };
  const running = await module.start(runtime);
  lifecycle.onStop(module.name, () => running.stop());
  urls[`${module.name.toUpperCase()}_URL`] = `http://127.0.0.1:${running.url.port}`;
}

const gateway = Bun.spawn(["bun", "services/gateway/src/main.ts", "serve", "-c", "services/gateway/gateway.json"], {
  cwd: `${import.meta.dir}/..`,
  env: { ...process.env, ...urls, LOG_PRETTY: "1" },
  stdout: "inherit",
  stderr: "inherit",
});
lifecycle.onStop("gateway", async () => {
  gateway.kill("SIGTERM");
  await gateway.exited;
});
logger.info({ gateway: "http://127.0.0.1:8080", docs: "http://127.0.0.1:8080/docs", ...urls }, "shop is up");
process.exit((await lifecycle.stopped) === UNHANDLED_REJECTION ? 1 : 0);
