// The whole shop in one process for a newcomer (`npm start`): one embedded PostgreSQL (unless
// DATABASE_URL is set), one in-process bus (unless NATS_URL is set), every service on its own port, and
// the gateway in front of them as the single entry point on :8080. The services listen on 127.0.0.1.
import { buildVersion } from "@shared/build";
import { localUrl } from "@shared/cli";
import { createDatabase, isDriverBackgroundError, resolveDatabaseUrl } from "@shared/db";
import { connectBus, localBus } from "@shared/endpoint";
import { connectEventBus, type EventBus } from "@shared/events/bus.ts";
import { traceEvents } from "@shared/events/tracing.ts";
import { createLifecycle, UNHANDLED_REJECTION } from "@shared/lifecycle";
import { createLogger } from "@shared/log";
import { natsSettingsFromEnv } from "@shared/nats";
import { createTelemetry } from "@shared/telemetry";
import { parseListenAddress } from "../services/gateway/src/config/config.schema.ts";
import { devModules, devServiceConfig } from "./dev.config.ts";

const version = buildVersion();
const level = (process.env.LOG_LEVEL ?? "info") as "info";
const logger = createLogger({ service: "dev", version, level, pretty: true });
const lifecycle = createLifecycle({ logger, drainMs: 10_000, tolerateRejection: isDriverBackgroundError });

const pg = await resolveDatabaseUrl({
  configuredUrl: process.env.DATABASE_URL,
  dataDir: ".data/pg",
  database: "shop",
  logger,
});
lifecycle.onStop("postgres", () => pg.stop());
// NATS_URL and the NATS credentials (NATS_USER, NATS_PASSWORD[_FILE], ...) as every service reads them
const nats = natsSettingsFromEnv(process.env);
const bus = nats.url ? await connectBus({ nats, name: "dev", logger }) : localBus();
// One event bus for every service: JetStream with NATS_URL, else in memory (outbox and inbox still used).
const events: EventBus = await connectEventBus({ nats, name: "dev-events", logger });
lifecycle.onStop("events", () => events.close());
lifecycle.onStop("bus", () => bus.close());

// The first admin, as compose takes it: SHOP_ADMIN_EMAIL and SHOP_ADMIN_PASSWORD, both or neither.
const admin =
  process.env.SHOP_ADMIN_EMAIL && process.env.SHOP_ADMIN_PASSWORD
    ? { email: process.env.SHOP_ADMIN_EMAIL, password: process.env.SHOP_ADMIN_PASSWORD }
    : undefined;

const urls: Record<string, string> = {};
// With OTEL_EXPORTER_OTLP_ENDPOINT set, every service and the gateway export their spans there.
const otelEnv = Object.fromEntries(Object.entries(process.env).filter(([name]) => name.startsWith("OTEL_")));
for (const module of devModules) {
  // Each service gets its defaults (its own port) on loopback and the shared database; only the gateway
  // listens where its own config says (GATEWAY_LISTEN_HOST). The OTEL_* variables apply to all of them.
  const config = devServiceConfig(module, { databaseUrl: pg.url, level, admin, env: otelEnv });
  const serviceLogger = createLogger({ service: module.name, version, level, pretty: true });
  const telemetry = createTelemetry({ config: config.telemetry, service: module.name, version, logger: serviceLogger });
  const tracer = telemetry.tracer;
  const database = createDatabase({
    url: pg.url,
    schema: module.schema,
    pool: config.db.pool,
    logger: serviceLogger,
    tracer,
  });
  lifecycle.onStop(`${module.name} database`, () => database.close());
  lifecycle.onStop(`${module.name} telemetry`, () => telemetry.shutdown());
  // Services that publish or consume events take the shared bus as `events` (beyond the kit's runtime).
  const serviceEvents = tracer ? traceEvents(events, tracer) : events;
  const runtime = { config, logger: serviceLogger, version, database, bus, events: serviceEvents, telemetry };
  const running = await module.start(runtime);
  lifecycle.onStop(module.name, () => running.stop());
  urls[`${module.name.toUpperCase()}_URL`] = `http://127.0.0.1:${running.url.port}`;
}

const gateway = Bun.spawn(
  [process.execPath, "services/gateway/src/main.ts", "serve", "-c", "services/gateway/gateway.json"],
  {
    cwd: `${import.meta.dir}/..`,
    env: { ...process.env, ...urls, LOG_PRETTY: "1" },
    stdout: "inherit",
    stderr: "inherit",
  },
);
lifecycle.onStop("gateway", async () => {
  gateway.kill("SIGTERM");
  await gateway.exited;
});
// The shop is up only once its entry point is; a gateway that exits (a port in use, a bad config) takes
// the shop down with it, as an error, instead of leaving services nobody can reach. A Ctrl-C reaches the
// gateway too (it shares the terminal's process group), and it then exits 0.
const GATEWAY_FAILED = "gateway failed";
void gateway.exited.then((code) => {
  if (code !== 0) logger.error({ exitCode: code }, "the gateway exited; stopping the shop");
  void lifecycle.stop(code === 0 ? "gateway stopped" : GATEWAY_FAILED);
});
const gatewayUrl = "http://127.0.0.1:8080";
if (await gatewayAnswers(`${gatewayUrl}/__health`, 30_000)) {
  // the gateway's metrics listener (telemetry/metrics in gateway.json), not on its public port
  const metricsAt = parseListenAddress(process.env.GATEWAY_METRICS_ADDRESS || "127.0.0.1:8090");
  const metrics = localUrl(metricsAt.hostname, metricsAt.port, "/metrics");
  logger.info({ gateway: gatewayUrl, docs: `${gatewayUrl}/docs`, metrics, ...urls }, "shop is up");
} else if (gateway.exitCode === null) {
  logger.error({ gateway: gatewayUrl }, "the gateway did not answer within 30 s; stopping the shop");
  void lifecycle.stop(GATEWAY_FAILED);
}
const reason = await lifecycle.stopped;
process.exit(reason === UNHANDLED_REJECTION || reason === GATEWAY_FAILED ? 1 : 0);

/** Polls `url` until the gateway's health answer comes (another server on the port does not count); false
 * once the gateway has exited or `ms` have passed. */
async function gatewayAnswers(url: string, ms: number): Promise<boolean> {
  const until = performance.now() + ms;
  while (gateway.exitCode === null && performance.now() < until) {
    try {
      const res = await fetch(url, { signal: AbortSignal.timeout(1000) });
      const body = (await res.json().catch(() => null)) as { status?: unknown } | null;
      if (res.status === 200 && body?.status === "ok" && gateway.exitCode === null) return true;
    } catch {
      // not listening yet
    }
    await Bun.sleep(100);
  }
  return false;
}
