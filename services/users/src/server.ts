// Wires the users service from ready-made parts (config, logger, database, bus); main.ts calls it for the
// binary, scripts/dev.ts for the single-process dev stack.
import { migrate } from "@shared/db";
import { embedMigrations } from "@shared/db/migrations.macro.ts" with { type: "macro" };
import { serveHttp } from "@shared/http";
import { identityOptionsOf, verifyForwardedIdentity } from "@shared/identity";
import { drainServer } from "@shared/lifecycle";
import { createMetrics } from "@shared/metrics";
import { defineServiceModule, type RunningService, type ServiceRuntime } from "@shared/service";
import { createApp } from "./app.ts";
import { type UsersConfig, usersConfigSchema } from "./config.ts";
import { makeUsersEndpoints } from "./users.endpoints.ts";
import { PgUsersRepo } from "./users.repo.ts";
import { UsersService } from "./users.service.ts";

/** The service's schema and embedded migrations. */
export const schema = "users";
export const migrations = embedMigrations("drizzle/users");

/** Migrates (when configured), then serves HTTP and `users.get` on the bus. */
export async function startUsers(rt: ServiceRuntime<UsersConfig>): Promise<RunningService> {
  if (rt.config.migrateOnStart) await migrate({ sql: rt.database.sql, schema, migrations, logger: rt.logger });
  const endpoints = makeUsersEndpoints(new UsersService(new PgUsersRepo(rt.database)));
  const served = await rt.bus.serve({ name: "users", version: rt.version, description: "User profiles" }, [
    endpoints.get,
  ]);
  const app = createApp({
    endpoints,
    logger: rt.logger,
    accessLogger: rt.accessLogger,
    identity: verifyForwardedIdentity(identityOptionsOf(rt.config.identity)),
    version: rt.version,
    metrics: createMetrics({ service: "users", version: rt.version }),
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
