// Wires the users service from ready-made parts (config, logger, database, bus); main.ts calls it for the
// binary, scripts/dev.ts for the single-process dev stack.
import { migrate } from "@shared/db";
import { embedMigrations } from "@shared/db/migrations.macro.ts" with { type: "macro" };
import { connectEventBus, type EventBus } from "@shared/events/bus.ts";
import { serveHttp } from "@shared/http";
import { identityOptionsOf, verifyForwardedIdentity } from "@shared/identity";
import { drainServer } from "@shared/lifecycle";
import { createMetrics } from "@shared/metrics";
import { defineServiceModule, type RunningService, type ServiceRuntime } from "@shared/service";
import { createApp } from "./app.ts";
import { type UsersConfig, usersConfigSchema } from "./config.ts";
import { startUsersConsumer } from "./users.consumer.ts";
import { makeUsersEndpoints } from "./users.endpoints.ts";
import { PgUsersRepo } from "./users.repo.ts";
import { UsersService } from "./users.service.ts";

/** The service's schema and embedded migrations. */
export const schema = "users";
export const migrations = embedMigrations("drizzle/users");

/** What users is started with: the kit's runtime, plus the event bus the dev stack shares between services. */
export type UsersRuntime = ServiceRuntime<UsersConfig> & { events?: EventBus };

/**
 * Migrates (when configured), creates profiles from `auth.user.registered` (events from the bus given, or
 * JetStream at the NATS URL), then serves HTTP and `users.get` on the bus.
 */
export async function startUsers(rt: UsersRuntime): Promise<RunningService> {
  if (rt.config.migrateOnStart) await migrate({ sql: rt.database.sql, schema, migrations, logger: rt.logger });
  const users = new UsersService(new PgUsersRepo(rt.database));
  const metrics = createMetrics({ service: "users", version: rt.version });
  const natsUrl = rt.config.nats.url;
  const ownBus =
    !rt.events && natsUrl ? await connectEventBus({ natsUrl, name: "users-events", logger: rt.logger }) : null;
  const events = rt.events ?? ownBus;
  const consumer = events
    ? await startUsersConsumer({
        events,
        config: rt.config.consumer,
        database: rt.database,
        users,
        logger: rt.logger,
        registry: metrics.registry,
      })
    : null;
  const endpoints = makeUsersEndpoints(users);
  const served = await rt.bus.serve({ name: "users", version: rt.version, description: "User profiles" }, [
    endpoints.get,
  ]);
  const app = createApp({
    endpoints,
    logger: rt.logger,
    accessLogger: rt.accessLogger,
    identity: verifyForwardedIdentity(identityOptionsOf(rt.config.identity)),
    version: rt.version,
    metrics,
    readiness: { database: () => rt.database.ping(), bus: () => rt.bus.ping() },
    bodyLimitBytes: rt.config.http.bodyLimitBytes,
  });
  const server = serveHttp(app, rt.config.http);
  rt.logger.info({ url: server.url.toString() }, "serving");
  return {
    url: server.url,
    async stop() {
      await served.stop();
      await drainServer(server, rt.config.http.drainMs);
      await consumer?.stop();
      await ownBus?.close();
    },
  };
}

/** The users service as the binary and the dev stack start it. */
export const usersModule = defineServiceModule({
  name: "users",
  configSchema: usersConfigSchema,
  schema,
  start: startUsers,
});
