// The users service's composition root: the only place that reads config, opens connections and wires
// repository -> service -> transport.
import { buildVersion } from "@shared/build";
import { runCli } from "@shared/cli";
import { defineServiceConfig, loadConfig, redact } from "@shared/config";
import { createDatabase, migrate, migrationStatus, resolveDatabaseUrl } from "@shared/db";
import { embedMigrations } from "@shared/db/migrations.macro.ts" with { type: "macro" };
import { serveHttp } from "@shared/http";
import { createLifecycle, drainServer } from "@shared/lifecycle";
import { createLogger, type Logger } from "@shared/log";
import { createMetrics } from "@shared/metrics";
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

async function openDatabase(config: Config, logger: Logger) {
  const resolved = await resolveDatabaseUrl({
    configuredUrl: config.db.url,
    dataDir: config.db.dataDir,
    database: "shop",
    logger,
  });
  const database = createDatabase({ url: resolved.url, schema: name, pool: config.db.pool, logger });
  return {
    database,
    async close() {
      await database.close();
      await resolved.stop();
    },
  };
}

async function serve(config: Config): Promise<void> {
  const logger = loggerFor(config);
  const lifecycle = createLifecycle({ logger, drainMs: config.http.drainMs });
  const { database, close } = await openDatabase(config, logger);
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

async function withDatabase(
  config: Config,
  fn: (database: ReturnType<typeof createDatabase>, logger: Logger) => Promise<void>,
) {
  const logger = loggerFor(config);
  const { database, close } = await openDatabase(config, logger);
  try {
    await fn(database, logger);
  } finally {
    await close();
  }
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
  migrate: {
    up: (config) =>
      withDatabase(config, async (database, logger) => {
        const applied = await migrate({ sql: database.sql, schema: name, migrations, logger });
        console.log(applied.length ? `applied: ${applied.map((m) => m.tag).join(", ")}` : "up to date");
      }),
    status: (config) =>
      withDatabase(config, async (database) => {
        for (const m of await migrationStatus({ sql: database.sql, schema: name, migrations })) {
          console.log(`${m.state.padEnd(8)} ${m.tag}${m.appliedAt ? ` ${m.appliedAt.toISOString()}` : ""}`);
        }
      }),
  },
}).then((code) => process.exit(code));
