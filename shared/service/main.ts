import { buildVersion } from "../build/index.ts";
import { type ExtraCommand, localUrl, runCli } from "../cli/index.ts";
import { type BaseConfig, loadConfig, redact } from "../config/index.ts";
import { type EmbeddedMigration, isDriverBackgroundError } from "../db/index.ts";
import { connectBus } from "../endpoint/index.ts";
import { connectEventBus } from "../events/bus.ts";
import { traceEvents } from "../events/tracing.ts";
import { createLifecycle, UNHANDLED_REJECTION } from "../lifecycle/index.ts";
import { createAccessLogger, createLogger, type Logger } from "../log/index.ts";
import { createTelemetry } from "../telemetry/index.ts";
import { grantCommand, migrateCommands, type OpenDatabase, openServiceDatabase } from "./database.ts";
import type { ServiceModule } from "./module.ts";

/** What a service binary's main.ts hands to `runServiceMain`. */
export interface ServiceMainOptions<C extends BaseConfig> {
  module: ServiceModule<C>;
  migrations: readonly EmbeddedMigration[];
  description: string;
  /** The OpenAPI document, built from the routes alone (no connections). */
  openapi: (version: string) => unknown;
  /** Service-specific subcommands; they get the opened database through `open`. */
  commands?: (tools: ServiceTools<C>) => readonly ExtraCommand<C>[];
  argv?: readonly string[];
  env?: Record<string, string | undefined>;
}

/** Helpers a service-specific subcommand may use. */
export interface ServiceTools<C extends BaseConfig> {
  version: string;
  loggerFor(config: C): Logger;
  open(config: C): Promise<OpenDatabase & { logger: Logger }>;
}

/**
 * The composition root every service binary shares: config from defaults < file < env < flags, a JSON
 * logger, the database (embedded from source when no URL), the bus (NATS or in-process), a buffered
 * access log, the service module, graceful shutdown in reverse order, and the standard subcommands.
 * Resolves with the process exit code.
 * @example runServiceMain({ module: usersModule, migrations, description: "...", openapi: createApiDocument }).then(process.exit);
 */
export function runServiceMain<C extends BaseConfig>(options: ServiceMainOptions<C>): Promise<number> {
  const { module } = options;
  const version = buildVersion();
  const env = options.env ?? process.env;
  const loggerFor = (config: C) =>
    createLogger({ service: module.name, version, level: config.log.level, pretty: config.log.pretty });
  const open = async (config: C) => {
    const logger = loggerFor(config);
    return { ...(await openServiceDatabase({ schema: module.schema, db: config.db, logger })), logger };
  };

  async function serve(config: C): Promise<void> {
    const logger = loggerFor(config);
    // the driver's own stray rejections (a connection failing as it starts) are survived, any other stops us
    const lifecycle = createLifecycle({
      logger,
      drainMs: config.http.drainMs,
      tolerateRejection: isDriverBackgroundError,
    });
    // Registered first, so it runs last: spans of the final requests are exported before the process exits.
    const telemetry = createTelemetry({ config: config.telemetry, service: module.name, version, logger });
    lifecycle.onStop("telemetry", () => telemetry.shutdown());
    const { database, close } = await openServiceDatabase({
      schema: module.schema,
      db: config.db,
      logger,
      tracer: telemetry.tracer,
    });
    lifecycle.onStop("database", close);
    const bus = await connectBus({ nats: config.nats, name: module.name, logger });
    lifecycle.onStop("bus", () => bus.close());
    const eventBus = config.nats.url
      ? await connectEventBus({
          nats: config.nats,
          name: `${module.name}-events`,
          logger,
          replicas: config.events.replicas,
        })
      : undefined;
    const events = eventBus && telemetry.tracer ? traceEvents(eventBus, telemetry.tracer) : eventBus;
    if (events) lifecycle.onStop("events", () => events.close());
    const access = createAccessLogger({
      service: module.name,
      version,
      level: config.log.level,
      pretty: config.log.pretty,
    });
    lifecycle.onStop("flush access log", () => access.flush());
    const running = await module.start({
      config,
      logger,
      accessLog: access.log,
      version,
      database,
      bus,
      events,
      telemetry,
    });
    lifecycle.onStop(module.name, () => running.stop());
    if ((await lifecycle.stopped) === UNHANDLED_REJECTION)
      throw new Error("stopped after an unhandled promise rejection");
  }

  return runCli<C>({
    name: module.name,
    version,
    description: options.description,
    argv: [...(options.argv ?? process.argv.slice(2))],
    loadConfig: (argv) => loadConfig({ schema: module.configSchema, argv, env }),
    redact: (config) => redact(module.configSchema, config),
    openapi: () => options.openapi(version),
    serve,
    readyUrl: (config) => localUrl(config.http.host, config.http.port, "/readyz"),
    migrate: migrateCommands<C>({ schema: module.schema, migrations: options.migrations, open }),
    // the relay's mode, for the services that have one (the WAL relay needs more than DML)
    grant: grantCommand<C>({
      schema: module.schema,
      walRelay: (config) => (config as { relay?: { mode?: string } }).relay?.mode === "wal",
    }),
    commands: options.commands?.({ version, loggerFor, open }),
  });
}
