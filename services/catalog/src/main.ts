// The catalog binary's composition root: reads config, opens connections, starts the service, and
// answers the kit's standard subcommands.
import { buildVersion } from "@shared/build";
import { runCli } from "@shared/cli";
import { loadConfig, redact } from "@shared/config";
import { connectBus } from "@shared/endpoint";
import { createLifecycle } from "@shared/lifecycle";
import { createAccessLogger, createLogger, type Logger } from "@shared/log";
import { migrateCommands, openServiceDatabase } from "@shared/service";
import { createApiDocument } from "./app.ts";
import { type CatalogConfig, catalogConfigSchema } from "./config.ts";
import { migrations, schema, startCatalog } from "./server.ts";

const version = buildVersion();

function loggerFor(config: CatalogConfig): Logger {
  return createLogger({ service: "catalog", version, level: config.log.level, pretty: config.log.pretty });
}

async function serve(config: CatalogConfig): Promise<void> {
  const logger = loggerFor(config);
  const lifecycle = createLifecycle({ logger, drainMs: config.http.drainMs });
  const { database, close } = await openServiceDatabase({ schema, db: config.db, logger });
  lifecycle.onStop("database", close);
  const bus = await connectBus({ natsUrl: config.nats.url, name: "catalog", logger });
  lifecycle.onStop("bus", () => bus.close());
  const access = createAccessLogger({
    service: "catalog",
    version,
    level: config.log.level,
    pretty: config.log.pretty,
  });
  lifecycle.onStop("flush access log", () => access.flush());
  const running = await startCatalog({ config, logger, accessLogger: access.logger, version, database, bus });
  lifecycle.onStop("catalog", () => running.stop());
  await lifecycle.stopped;
}

runCli<CatalogConfig>({
  name: "catalog",
  version,
  description: "Products, prices and stock: public reads, admin writes, catalog.products.get for other services.",
  argv: process.argv.slice(2),
  loadConfig: (argv) => loadConfig({ schema: catalogConfigSchema, argv, env: process.env }),
  redact: (config) => redact(catalogConfigSchema, config),
  openapi: () => createApiDocument(version),
  serve,
  migrate: migrateCommands<CatalogConfig>({
    schema,
    migrations,
    open: async (config) => {
      const logger = loggerFor(config);
      return { ...(await openServiceDatabase({ schema, db: config.db, logger })), logger };
    },
  }),
}).then((code) => process.exit(code));
