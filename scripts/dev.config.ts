// The config each service gets under `npm start`. Identity checks are off there (no gateway token is
// verified behind it), so every service listens on loopback only: the gateway is the one port others reach.
import { loadConfig } from "@shared/config";
import type { ServiceModule } from "@shared/service";
import { authModule } from "../services/auth/src/auth.module.ts";
import { catalogModule } from "../services/catalog/src/catalog.module.ts";
import { notifierModule } from "../services/notifier/src/notifier.module.ts";
import { ordersModule } from "../services/orders/src/orders.module.ts";
import { usersModule } from "../services/users/src/users.module.ts";

/** The services of the dev stack in start order: catalog before orders, which calls it on the bus at once. */
export const devModules = [
  authModule,
  usersModule,
  catalogModule,
  ordersModule,
  notifierModule,
] as unknown as ServiceModule[];

/** Where the dev stack's services listen: reachable from this machine only. */
export const DEV_SERVICE_HOST = "127.0.0.1";

/** What every service of the dev stack shares. */
export interface DevConfigOptions {
  databaseUrl: string;
  level: string;
  /** The first admin, for auth only (SHOP_ADMIN_EMAIL and SHOP_ADMIN_PASSWORD). */
  admin?: { email: string; password: string };
}

/** Loads one service's config for the dev stack: its own port, loopback, the shared database. */
export function devServiceConfig(module: ServiceModule, options: DevConfigOptions) {
  // env stays out so PORT and friends meant for one process do not move every service
  return loadConfig({
    schema: module.configSchema,
    argv: [],
    env: {},
    defaults: {
      http: { host: DEV_SERVICE_HOST },
      db: { url: options.databaseUrl },
      log: { level: options.level, pretty: true },
      ...(module.name === "auth" && options.admin ? { bootstrapAdmin: options.admin } : {}),
    },
  });
}
