// The users service's composition root: the only place that reads config, opens connections and wires
// repository -> service -> transport.
import { buildVersion } from "@shared/build";
import { runCli } from "@shared/cli";
import { defineServiceConfig, loadConfig, redact } from "@shared/config";
import { migrate } from "@shared/db";
import { embedMigrations } from "@shared/db/migrations.macro.ts" with { type: "macro" };
import { serveHttp } from "@shared/http";
import { createLifecycle, drainServer } from "@shared/lifecycle";
import { createLogger, type Logger } from "@shared/log";
import { createMetrics } from "@shared/metrics";
import { migrateCommands, openServiceDatabase } from "@shared/service";
import { z } from "zod";
import { createApiDocument, createApp } from "./app.ts";
import { PgUsersRepo } from "./users.repo.ts";
import { UsersService } from "./users.service.ts";

const name = "users";
const version = buildVersion();
const migrations = embedMigrations("drizzle/users");
const configSchema = defineServiceConfig(
  name,
  { migrateOnStart: z.boolean().default(true).describe("apply pending migrations before serving") },
  { port: 8081 },
);
type Config = z.output<typeof configSchema>;

function loggerFor(config: Config): Logger {
  return createLogger({ service: name, version, level: config.log.level, pretty: config.log.pretty });
}

async function serve(config: Config): Promise<void> {
  const logger = loggerFor(config);
  const lifecycle = createLifecycle({ logger, drainMs: config.http.drainMs });
  const { database, close } = await openServiceDatabase({ schema: name, db: config.db, logger });
  lifecycle.onStop("database", close);
  if (config.migrateOnStart) {
    await migrate({ sql: database.sql, schema: name, migrations, logger });
  }
  const users = new UsersService(new PgUsersRepo(database));
  const app = createApp({
    users,
    logger,
    version,
    metrics: createMetrics({ service: name, version }),
    readiness: { database: () => database.ping() },
    bodyLimitBytes: config.http.bodyLimitBytes,
  });
  const server = serveHttp(app, config.http);
  lifecycle.onStop("http", () => drainServer(server, config.http.drainMs));
  logger.info({ url: server.url.toString() }, "serving");
  await lifecycle.stopped;
}

runCli<Config>({
  name,
  version,
  description: "User profiles: create, read, update, list.",
  argv: process.argv.slice(2),
  loadConfig: (argv) => loadConfig({ schema: configSchema, argv, env: process.env }),
  redact: (config) => redact(configSchema, config),
  openapi: () => createApiDocument(version),
  serve,
  migrate: migrateCommands<Config>({
    schema: name,
    migrations,
    open: async (config) => {
      const logger = loggerFor(config);
      return { ...(await openServiceDatabase({ schema: name, db: config.db, logger })), logger };
    },
  }),
}).then((code) => process.exit(code));
