// The gateway's composition root: the only place that reads the environment, creates loggers, metrics,
// the HTTP server, the NATS purge subscription and the reload watcher, and wires them together.
import { buildVersion } from "@shared/build";
import { redactValue } from "@shared/config";
import { createLifecycle, drainServer, UNHANDLED_REJECTION } from "@shared/lifecycle";
import { createAccessLog, createLogger, LineBuffer } from "@shared/log";
import { createMetrics } from "@shared/metrics";
import { natsSettingsFromEnv } from "@shared/nats";
import { createTelemetry } from "@shared/telemetry";
import pino from "pino";
import { subscribePurge } from "./cache/purge.ts";
import { runGatewayCli } from "./cli/gateway.cli.ts";
import { type LoadedConfig, metricsAddressOf } from "./config/config.load.ts";
import { createFeatures } from "./features.ts";
import { createGateway } from "./server/gateway.app.ts";
import { createReloader } from "./server/reload.ts";
import { gatewayTracing } from "./telemetry/request.trace.ts";
import { gatewayTelemetrySettings } from "./telemetry/telemetry.config.ts";
import { transportNamed } from "./transport/transports.ts";

const env = process.env;
const version = buildVersion();
const level = (env.LOG_LEVEL ?? "info") as pino.LevelWithSilent;
const pretty = env.LOG_PRETTY === "1" || env.LOG_PRETTY === "true";
const logger = createLogger({ service: "gateway", version, level, pretty });

const features = createFeatures(logger);

async function serve(loaded: LoadedConfig): Promise<void> {
  // Access logs are one line per request, so they skip pino: formatted by hand into our buffered writer
  // (both cost a fraction of pino's formatting and async destination), flushed by size (64 KiB), 200 ms
  // after the first unwritten line, and on shutdown.
  const accessSink = new LineBuffer(1);
  const accessLevelOn = pino({ level }).isLevelEnabled("info");
  const settings = gatewayTelemetrySettings(loaded.config.extra_config, env);
  for (const w of settings.warnings) logger.warn({ warning: w }, "config warning");
  // The gateway samples before it makes any span (an unsampled request costs no span object); the SDK
  // records every span it is handed.
  const telemetry = createTelemetry({
    config: { ...settings.telemetry, sampler: "always_on" },
    service: "gateway",
    version,
    logger,
  });
  const tracing = gatewayTracing(telemetry.tracer, { ...settings.telemetry, continueTrace: settings.continueTrace });
  const metrics = createMetrics({ service: "gateway", version, droppedSpans: telemetry.droppedSpans });
  const gateway = createGateway({
    loaded,
    features,
    logger,
    version,
    accessLog: env.GATEWAY_ACCESS_LOG !== "off" && accessLevelOn,
    accessWriter: createAccessLog(accessSink, { service: "gateway", version }),
    registry: metrics.registry,
    upstreamConcurrency: Number(env.GATEWAY_UPSTREAM_CONCURRENCY ?? 64),
    upstreamClient: env.GATEWAY_UPSTREAM_CLIENT === "fetch" ? "fetch" : "http1",
    upstreamSockets: Number(env.GATEWAY_UPSTREAM_SOCKETS ?? 256),
    server: transportNamed(env.GATEWAY_SERVER),
    tracing,
  });
  for (const w of loaded.warnings) logger.warn({ warning: w }, "config warning");
  const port = loaded.config.port ?? 8080;
  const server = gateway.listen(port, env.GATEWAY_LISTEN_HOST);
  logger.info(
    { port: server.port, config: loaded.source, endpoints: gateway.ref.current.endpoints.length },
    "gateway listening",
  );

  const metricsServer = gateway.listenMetrics();
  if (metricsServer) logger.info({ address: metricsAddressOf(loaded), port: metricsServer.port }, "metrics listening");

  const reloader = createReloader({ file: loaded.source, ref: gateway.ref, features, logger, env });
  reloader.start();

  const purgeCfg = loaded.config.extra_config?.["gateway/cache-purge"] as
    | { nats_url?: string; subject?: string }
    | undefined;
  // the credentials (NATS_USER, NATS_PASSWORD[_FILE], NATS_TOKEN[_FILE], NATS_CREDS_FILE, ...) as services read them
  const nats = natsSettingsFromEnv(env);
  const natsUrl = purgeCfg?.nats_url ?? nats.url;
  const everyCache = {
    purge: () => {
      for (const ep of gateway.ref.current.endpoints) for (const be of ep.backends) be.cache?.purge();
    },
  };
  const purger = natsUrl
    ? await subscribePurge({
        nats: { ...nats, url: natsUrl },
        subject: purgeCfg?.subject,
        cache: everyCache,
        logger,
      }).catch((err) => {
        logger.warn(
          { err: String(err), natsUrl: redactValue(natsUrl) },
          "cache purge over NATS unavailable; entries expire by TTL only",
        );
        return null;
      })
    : null;

  // an unhandled rejection is a bug: logged as JSON, then the gateway drains and exits 1 (none is tolerated)
  const lifecycle = createLifecycle({ logger, drainMs: 10_000, tolerateRejection: () => false });
  // first registered, last run: the spans of the final requests are exported before the process exits
  lifecycle.onStop("telemetry", () => telemetry.shutdown());
  lifecycle.onStop("flush access log", () => accessSink.flushSync());
  lifecycle.onStop("cache purge", () => purger?.close());
  lifecycle.onStop("config reload", () => reloader.stop());
  // steps run in reverse order: the HTTP drain first, then the upstream sockets it was using
  lifecycle.onStop("upstream connections", () => gateway.upstream.close());
  lifecycle.onStop("http", ({ deadline }) => drainServer(server, Math.max(0, deadline - Date.now())));
  if (metricsServer) lifecycle.onStop("metrics listener", () => metricsServer.stop(true));
  if ((await lifecycle.stopped) === UNHANDLED_REJECTION)
    throw new Error("stopped after an unhandled promise rejection");
}

const code = await runGatewayCli({ argv: process.argv.slice(2), env, version, features, serve });
process.exit(code);
