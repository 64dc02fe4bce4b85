// The users binary's composition root: reads config, opens connections, starts the service, and
// answers the kit's standard subcommands.
import { buildVersion } from "@shared/build";
import { runCli } from "@shared/cli";
import { loadConfig, redact } from "@shared/config";
import { connectBus } from "@shared/endpoint";
import { createLifecycle } from "@shared/lifecycle";
import { createAccessLogger, createLogger, type Logger } from "@shared/log";
import { migrateCommands, openServiceDatabase } from "@shared/service";
import { createApiDocument } from "./app.ts";
import { type UsersConfig, usersConfigSchema } from "./config.ts";
import { migrations, schema, startUsers } from "./server.ts";

const version = buildVersion();

function loggerFor(config: UsersConfig): Logger {
  return createLogger({ service: "users", version, level: config.log.level, pretty: config.log.pretty });
}

async function serve(config: UsersConfig): Promise<void> {
  const logger = loggerFor(config);
  const lifecycle = createLifecycle({ logger, drainMs: config.http.drainMs });
  const { database, close } = await openServiceDatabase({ schema, db: config.db, logger });
  lifecycle.onStop("database", close);
  const bus = await connectBus({ natsUrl: config.nats.url, name: "users", logger });
  lifecycle.onStop("bus", () => bus.close());
  const access = createAccessLogger({ service: "users", version, level: config.log.level, pretty: config.log.pretty });
  lifecycle.onStop("flush access log", () => access.flush());
  const running = await startUsers({ config, logger, accessLogger: access.logger, version, database, bus });
  lifecycle.onStop("users", () => running.stop());
  await lifecycle.stopped;
}

runCli<UsersConfig>({
  name: "users",
  version,
  description: "User profiles: create, read, update, list.",
  argv: process.argv.slice(2),
  loadConfig: (argv) => loadConfig({ schema: usersConfigSchema, argv, env: process.env }),
  redact: (config) => redact(usersConfigSchema, config),
  openapi: () => createApiDocument(version),
  serve,
  migrate: migrateCommands<UsersConfig>({
    schema,
    migrations,
    open: async (config) => {
      const logger = loggerFor(config);
      return { ...(await openServiceDatabase({ schema, db: config.db, logger })), logger };
    },
  }),
}).then((code) => process.exit(code));
