// Wires the auth service from ready-made parts (config, logger, database); main.ts calls it for the
// binary, scripts/dev.ts for the single-process dev stack.
import { type Database, migrate } from "@shared/db";
import { embedMigrations } from "@shared/db/migrations.macro.ts" with { type: "macro" };
import { startServiceRelay } from "@shared/events";
import { connectEventBus, type EventBus } from "@shared/events/bus.ts";
import { serveHttp } from "@shared/http";
import { identityOptionsOf, verifyForwardedIdentity } from "@shared/identity";
import { drainServer } from "@shared/lifecycle";
import { createMetrics } from "@shared/metrics";
import { defineServiceModule, type RunningService, type ServiceRuntime } from "@shared/service";
import { createApp } from "./app.ts";
import { enqueueUserRegistered } from "./auth.events.ts";
import { PgKeyStore } from "./auth.keys.repo.ts";
import { KeyRing } from "./auth.keys.ts";
import { argon2idHasher } from "./auth.passwords.ts";
import { PgAuthRepo } from "./auth.repo.ts";
import { AuthService } from "./auth.service.ts";
import { type AuthConfig, authConfigSchema } from "./config.ts";

/** The service's schema and embedded migrations. */
export const schema = "auth";
export const migrations = embedMigrations("drizzle/auth");

/** The key ring for a config: configured keys, or generated ones kept in the database. */
export function keyRingFor(config: AuthConfig, database: Database): KeyRing {
  const { keys, tokens } = config;
  return new KeyRing({
    issuer: tokens.issuer,
    audience: tokens.audience,
    accessTtlSec: tokens.accessTtlSec,
    configured: keys.privateKey ? { current: keys.privateKey, previous: keys.previousKey } : undefined,
    store: new PgKeyStore(database),
    encryptionSecret: keys.encryptionSecret,
    reloadMs: keys.reloadSec * 1000,
  });
}

/** What auth is started with: the kit's runtime, plus the event bus the dev stack shares between services. */
export type AuthRuntime = ServiceRuntime<AuthConfig> & { events?: EventBus };

/**
 * Migrates (when configured), loads or creates the signing key, bootstraps the admin, relays the outbox
 * (`auth.user.registered`) to the event bus given or to JetStream at the NATS URL, and serves HTTP. A lone
 * binary without NATS keeps its events in the outbox.
 */
export async function startAuth(rt: AuthRuntime): Promise<RunningService> {
  const { config, database, logger } = rt;
  if (config.migrateOnStart) await migrate({ sql: database.sql, schema, migrations, logger });
  const metrics = createMetrics({ service: "auth", version: rt.version });
  const natsUrl = config.nats.url;
  const ownBus = !rt.events && natsUrl ? await connectEventBus({ natsUrl, name: "auth-events", logger }) : null;
  const events = rt.events ?? ownBus;
  const relay = events
    ? await startServiceRelay({
        service: "auth",
        schema,
        events,
        config: config.relay,
        database,
        logger,
        registry: metrics.registry,
      })
    : null;
  const keys = keyRingFor(config, database);
  await keys.init();
  const auth = new AuthService({
    repo: new PgAuthRepo(database),
    passwords: argon2idHasher(config.password),
    signer: keys,
    policy: { refreshTtlSec: config.tokens.refreshTtlSec, lockout: config.lockout },
    onRegistered: enqueueUserRegistered(database),
  });
  await auth.warmUp();
  const { email, password } = config.bootstrapAdmin;
  if (email && password) {
    const admin = await auth.bootstrapAdmin(email, password);
    logger.info({ userId: admin.id }, "bootstrap admin ready");
  }
  const app = createApp({
    auth,
    keys,
    logger,
    accessLogger: rt.accessLogger,
    version: rt.version,
    metrics,
    readiness: { database: () => database.ping() },
    bodyLimitBytes: config.http.bodyLimitBytes,
    identity: verifyForwardedIdentity(identityOptionsOf(config.identity)),
  });
  const server = serveHttp(app, config.http);
  logger.info({ url: server.url.toString(), kids: await keys.kids() }, "serving");
  return {
    url: server.url,
    async stop() {
      await drainServer(server, config.http.drainMs);
      await relay?.stop();
      await ownBus?.close();
    },
  };
}

/** The auth service as the binary and the dev stack start it. */
export const authModule = defineServiceModule({
  name: "auth",
  configSchema: authConfigSchema,
  schema,
  start: startAuth,
});
