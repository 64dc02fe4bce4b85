// Wires the auth service from ready-made parts (config, logger, database, buses); main.ts calls it for the
// binary, scripts/dev.ts for the single-process dev stack.
import type { Database } from "@shared/db";
import { embedMigrations } from "@shared/db/migrations.macro.ts" with { type: "macro" };
import { startServiceRelay } from "@shared/events";
import type { Logger } from "@shared/log";
import {
  defineServiceModule,
  migrateOnStart,
  type RunningService,
  type ServiceRuntime,
  serveService,
  serviceAppOptions,
  serviceMetrics,
} from "@shared/service";
import authProto from "../../../proto/shop/auth/v1/auth.proto" with { type: "text" };
import { createApp } from "./auth.app.ts";
import { makeAuthEndpoints } from "./auth.endpoints.ts";
import { PgKeyStore } from "./auth.keys.repo.ts";
import { KeyRing } from "./auth.keys.ts";
import { commonPasswords } from "./auth.password-policy.ts";
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

/**
 * Runs `auth.prune()` every `everyMs` (never when 0), one run at a time; `stop` waits for a run in
 * progress. A failed run is logged and the next one tries again.
 */
export function startPruning(
  auth: Pick<AuthService, "prune">,
  everyMs: number,
  logger: Pick<Logger, "info" | "warn">,
): { stop(): Promise<void> } {
  let running: Promise<void> | null = null;
  const timer =
    everyMs > 0
      ? setInterval(() => {
          if (running) return;
          running = auth
            .prune()
            .then((deleted) => {
              if (deleted.loginFailures + deleted.refreshTokens > 0) logger.info({ deleted }, "pruned stale rows");
            })
            .catch((err) => logger.warn({ err }, "pruning failed"))
            .finally(() => {
              running = null;
            });
        }, everyMs)
      : null;
  timer?.unref();
  return {
    async stop() {
      if (timer) clearInterval(timer);
      await running;
    },
  };
}

/**
 * Migrates (when configured), loads or creates the signing key, bootstraps the admin, prunes stale rows
 * (`prune.everySec`), relays the outbox (`auth.user.registered`) to the event bus given or to JetStream at
 * the NATS URL, and serves HTTP. A lone binary without NATS keeps its events in the outbox.
 */
export async function startAuth(rt: ServiceRuntime<AuthConfig>): Promise<RunningService> {
  const { config, database, logger } = rt;
  await migrateOnStart(rt, schema, migrations);
  const metrics = serviceMetrics(rt, "auth");
  const relay = rt.events
    ? await startServiceRelay({
        service: "auth",
        schema,
        events: rt.events,
        config: config.relay,
        database,
        logger,
        registry: metrics.registry,
      })
    : null;
  const keys = keyRingFor(config, database);
  await keys.init();
  const { trustedProxies, ...throttle } = config.throttle;
  const auth = new AuthService({
    repo: new PgAuthRepo(database),
    passwords: argon2idHasher(config.password),
    signer: keys,
    policy: { refreshTtlSec: config.tokens.refreshTtlSec, throttle },
    commonPasswords: commonPasswords(),
  });
  await auth.warmUp();
  const { email, password } = config.bootstrapAdmin;
  if (email && password) {
    const admin = await auth.bootstrapAdmin(email, password);
    logger.info({ userId: admin.id }, "bootstrap admin ready");
  }
  logger.info({ kids: await keys.kids() }, "signing keys ready");
  const pruning = startPruning(auth, config.prune.everySec * 1000, logger);
  const endpoints = makeAuthEndpoints(auth, keys, { trustedProxies });
  const appOptions = serviceAppOptions(rt, metrics);
  return serveService(rt, {
    name: "auth",
    description: "Accounts and sessions",
    app: createApp({ endpoints, ...appOptions }),
    grpc: { proto: authProto, endpoints: Object.values(endpoints), readiness: appOptions.readiness },
    metrics,
    background: [pruning, relay],
  });
}

/** The auth service as the binary and the dev stack start it. */
export const authModule = defineServiceModule({
  name: "auth",
  configSchema: authConfigSchema,
  schema,
  start: startAuth,
});
