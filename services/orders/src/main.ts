// The orders binary's composition root: reads config, opens connections, starts the service, and
// answers the kit's standard subcommands.
import { buildVersion } from "@shared/build";
import { runCli } from "@shared/cli";
import { loadConfig, redact } from "@shared/config";
import { connectBus } from "@shared/endpoint";
import { createLifecycle } from "@shared/lifecycle";
import { createAccessLogger, createLogger, type Logger } from "@shared/log";
import { migrateCommands, openServiceDatabase } from "@shared/service";
import { createApiDocument } from "./app.ts";
import { type OrdersConfig, ordersConfigSchema } from "./config.ts";
import { migrations, schema, startOrders } from "./server.ts";

const version = buildVersion();

function loggerFor(config: OrdersConfig): Logger {
  return createLogger({ service: "orders", version, level: config.log.level, pretty: config.log.pretty });
}

async function serve(config: OrdersConfig): Promise<void> {
  const logger = loggerFor(config);
  const lifecycle = createLifecycle({ logger, drainMs: config.http.drainMs });
  const { database, close } = await openServiceDatabase({ schema, db: config.db, logger });
  lifecycle.onStop("database", close);
  const bus = await connectBus({ natsUrl: config.nats.url, name: "orders", logger });
  lifecycle.onStop("bus", () => bus.close());
  const access = createAccessLogger({ service: "orders", version, level: config.log.level, pretty: config.log.pretty });
  lifecycle.onStop("flush access log", () => access.flush());
  const running = await startOrders({ config, logger, accessLogger: access.logger, version, database, bus });
  lifecycle.onStop("orders", () => running.stop());
  await lifecycle.stopped;
}

runCli<OrdersConfig>({
  name: "orders",
  version,
  description: "Orders: place at catalog prices, list, get, cancel.",
  argv: process.argv.slice(2),
  loadConfig: (argv) => loadConfig({ schema: ordersConfigSchema, argv, env: process.env }),
  redact: (config) => redact(ordersConfigSchema, config),
  openapi: () => createApiDocument(version),
  serve,
  migrate: migrateCommands<OrdersConfig>({
    schema,
    migrations,
    open: async (config) => {
      const logger = loggerFor(config);
      return { ...(await openServiceDatabase({ schema, db: config.db, logger })), logger };
    },
  }),
}).then((code) => process.exit(code));
