// Wires the users service from ready-made parts (config, logger, database, bus); main.ts calls it for the
// binary, scripts/dev.ts for the single-process dev stack.
import type { Database } from "@shared/db";
import { migrate } from "@shared/db";
import { embedMigrations } from "@shared/db/migrations.macro.ts" with { type: "macro" };
import type { EndpointBus } from "@shared/endpoint";
import { serveHttp } from "@shared/http";
import { drainServer } from "@shared/lifecycle";
import type { Logger } from "@shared/log";
import { createMetrics } from "@shared/metrics";
import { createApp } from "./app.ts";
import type { UsersConfig } from "./config.ts";
import { makeUsersEndpoints } from "./users.endpoints.ts";
import { PgUsersRepo } from "./users.repo.ts";
import { UsersService } from "./users.service.ts";

/** The service's schema and embedded migrations. */
export const schema = "users";
export const migrations = embedMigrations("drizzle/users");

/** What starting the users service needs. */
export interface UsersRuntime {
  config: UsersConfig;
  logger: Logger;
  version: string;
  database: Database;
  bus: EndpointBus;
}

/** A running users service; `stop` stops NATS serving and drains HTTP (the caller closes the database). */
export interface RunningUsers {
  url: URL;
  stop(): Promise<void>;
}

/** Migrates (when configured), then serves HTTP and `users.get` on the bus. */
export async function startUsers(rt: UsersRuntime): Promise<RunningUsers> {
  if (rt.config.migrateOnStart) await migrate({ sql: rt.database.sql, schema, migrations, logger: rt.logger });
  const endpoints = makeUsersEndpoints(new UsersService(new PgUsersRepo(rt.database)));
  const served = await rt.bus.serve({ name: "users", version: rt.version, description: "User profiles" }, [
    endpoints.get,
  ]);
  const app = createApp({
    endpoints,
    logger: rt.logger,
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
