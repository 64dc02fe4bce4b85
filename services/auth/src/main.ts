// The auth binary's composition root: reads config, opens connections, starts the service, and
// answers the kit's standard subcommands plus `keys rotate`.
import { buildVersion } from "@shared/build";
import { runCli } from "@shared/cli";
import { loadConfig, redact } from "@shared/config";
import { connectBus } from "@shared/endpoint";
import { createLifecycle } from "@shared/lifecycle";
import { createAccessLogger, createLogger, type Logger } from "@shared/log";
import { migrateCommands, openServiceDatabase } from "@shared/service";
import { createApiDocument } from "./app.ts";
import { type AuthConfig, authConfigSchema } from "./config.ts";
import { keyRingFor, migrations, schema, startAuth } from "./server.ts";

const version = buildVersion();

function loggerFor(config: AuthConfig): Logger {
  return createLogger({ service: "auth", version, level: config.log.level, pretty: config.log.pretty });
}

async function openDatabase(config: AuthConfig) {
  const logger = loggerFor(config);
  return { ...(await openServiceDatabase({ schema, db: config.db, logger })), logger };
}

async function serve(config: AuthConfig): Promise<void> {
  const logger = loggerFor(config);
  const lifecycle = createLifecycle({ logger, drainMs: config.http.drainMs });
  const { database, close } = await openServiceDatabase({ schema, db: config.db, logger });
  lifecycle.onStop("database", close);
  const bus = await connectBus({ natsUrl: config.nats.url, name: "auth", logger });
  lifecycle.onStop("bus", () => bus.close());
  const access = createAccessLogger({ service: "auth", version, level: config.log.level, pretty: config.log.pretty });
  lifecycle.onStop("flush access log", () => access.flush());
  const running = await startAuth({ config, logger, accessLogger: access.logger, version, database, bus });
  lifecycle.onStop("auth", () => running.stop());
  await lifecycle.stopped;
}

/** `keys rotate`: a new signing key becomes current; the old one stays in the JWKS as previous. */
async function rotateKeys(config: AuthConfig, out: { write(s: string): unknown }): Promise<number> {
  const { database, close } = await openDatabase(config);
  try {
    const keys = keyRingFor(config, database);
    await keys.init();
    const rotated = await keys.rotate();
    out.write(`${JSON.stringify(rotated)}\n`);
    return 0;
  } finally {
    await close();
  }
}

runCli<AuthConfig>({
  name: "auth",
  version,
  description: "Accounts, sessions and roles: register, login, refresh, logout, JWKS.",
  argv: process.argv.slice(2),
  loadConfig: (argv) => loadConfig({ schema: authConfigSchema, argv, env: process.env }),
  redact: (config) => redact(authConfigSchema, config),
  openapi: () => createApiDocument(version),
  serve,
  migrate: migrateCommands<AuthConfig>({ schema, migrations, open: openDatabase }),
  commands: [
    {
      path: ["keys", "rotate"],
      summary: "make a new token signing key current (the old one stays published until tokens expire)",
      run: rotateKeys,
    },
  ],
}).then((code) => process.exit(code));
