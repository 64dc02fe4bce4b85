// Wires the users service from ready-made parts (config, logger, database, buses); main.ts calls it for
// the binary, scripts/dev.ts for the single-process dev stack.
import { embedMigrations } from "@shared/db/migrations.macro.ts" with { type: "macro" };
import {
  defineServiceModule,
  migrateOnStart,
  type RunningService,
  type ServiceRuntime,
  serveService,
  serviceAppOptions,
  serviceMetrics,
} from "@shared/service";
import usersProto from "../../../proto/shop/users/v1/users.proto" with { type: "text" };
import { type UsersConfig, usersConfigSchema } from "./config.ts";
import { createApp } from "./users.app.ts";
import { startUsersConsumer } from "./users.consumer.ts";
import { makeUsersEndpoints } from "./users.endpoints.ts";
import { PgUsersRepo } from "./users.repo.ts";
import { UsersService } from "./users.service.ts";

/** The service's schema and embedded migrations. */
export const schema = "users";
export const migrations = embedMigrations("drizzle/users");

/**
 * Migrates (when configured), creates profiles from `auth.user.registered` when there is an event bus,
 * then serves HTTP and `users.get` on the request bus.
 */
export async function startUsers(rt: ServiceRuntime<UsersConfig>): Promise<RunningService> {
  await migrateOnStart(rt, schema, migrations);
  const users = new UsersService(new PgUsersRepo(rt.database));
  const metrics = serviceMetrics(rt, "users");
  const consumer = rt.events
    ? await startUsersConsumer({
        events: rt.events,
        config: rt.config.consumer,
        database: rt.database,
        users,
        logger: rt.logger,
        registry: metrics.registry,
      })
    : null;
  const endpoints = makeUsersEndpoints(users);
  const appOptions = serviceAppOptions(rt, metrics, { busReady: true });
  return serveService(rt, {
    name: "users",
    description: "User profiles",
    app: createApp({ endpoints, ...appOptions }),
    grpc: { proto: usersProto, endpoints: Object.values(endpoints), readiness: appOptions.readiness },
    metrics,
    busEndpoints: [endpoints.get],
    background: [consumer],
  });
}

/** The users service as the binary and the dev stack start it. */
export const usersModule = defineServiceModule({
  name: "users",
  configSchema: usersConfigSchema,
  schema,
  start: startUsers,
});
