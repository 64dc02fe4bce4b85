import type { OpenAPIHono } from "@hono/zod-openapi";
import type { BaseConfig } from "../config/index.ts";
import { type EmbeddedMigration, explainUnusableDatabase, migrate } from "../db/index.ts";
import { type Endpoint, observeEndpoint } from "../endpoint/index.ts";
import { type GrpcServer, grpcServiceSchemaOf, serveGrpc } from "../grpc/index.ts";
import type { ReadinessCheck } from "../health/index.ts";
import { type AppEnv, serveHttp } from "../http/index.ts";
import { forwardedIdentityCheck, identityOptionsOf, verifyForwardedIdentity } from "../identity/index.ts";
import { drainServer } from "../lifecycle/index.ts";
import { createMetrics, type Metrics } from "../metrics/index.ts";
import type { ServiceAppOptions } from "./app.ts";
import type { RunningService, ServiceRuntime } from "./module.ts";

/** Applies the service's embedded migrations unless `migrateOnStart` is off. */
export async function migrateOnStart<C extends BaseConfig>(
  rt: ServiceRuntime<C>,
  schema: string,
  migrations: readonly EmbeddedMigration[],
): Promise<void> {
  if (!rt.config.migrateOnStart) return;
  try {
    await migrate({ sql: rt.database.sql, schema, migrations, logger: rt.logger });
  } catch (err) {
    throw explainUnusableDatabase(err, rt.database.sql);
  }
}

/**
 * What a service serves over gRPC when `grpc.port` is set: its generated proto text (embedded:
 * `import proto from "…/catalog.proto" with { type: "text" }`), the endpoints behind its rpcs, and the checks
 * gRPC health answers from (the HTTP app's `readiness`).
 */
export interface GrpcServing {
  proto: string;
  endpoints: readonly Endpoint[];
  readiness: Record<string, ReadinessCheck>;
}

/**
 * The options every service's HTTP app takes, from the runtime: loggers, identity verification as
 * configured, version, the service's metrics, readiness of the database (and of the request bus when
 * `busReady`), body limit.
 */
export function serviceAppOptions<C extends BaseConfig>(
  rt: ServiceRuntime<C>,
  metrics: Metrics,
  options: { busReady?: boolean } = {},
): ServiceAppOptions & { readiness: Record<string, ReadinessCheck> } {
  return {
    logger: rt.logger,
    accessLog: rt.accessLog,
    identity: verifyForwardedIdentity(identityOptionsOf(rt.config.identity)),
    version: rt.version,
    metrics,
    tracer: rt.telemetry?.tracer,
    sampling: rt.telemetry?.sampling,
    readiness: {
      database: () => rt.database.ping(),
      ...(options.busReady ? { bus: () => rt.bus.ping() } : {}),
    },
    bodyLimitBytes: rt.config.http.bodyLimitBytes,
  };
}

/** The service's metrics registry (request and endpoint durations, build info, process metrics, dropped spans). */
export function serviceMetrics<C extends BaseConfig>(rt: ServiceRuntime<C>, name: string): Metrics {
  return createMetrics({ service: name, version: rt.version, droppedSpans: rt.telemetry?.droppedSpans });
}

/**
 * Serves a built service: its endpoints on the request bus, its app over HTTP. Stopping stops bus
 * serving, drains HTTP, then stops the background work (consumers, relays) in order.
 */
export async function serveService<C extends BaseConfig>(
  rt: ServiceRuntime<C>,
  options: {
    name: string;
    description: string;
    app: OpenAPIHono<AppEnv>;
    busEndpoints?: readonly Endpoint[];
    /** Where bus-served calls record `endpoint_request_duration_seconds`. */
    metrics?: Metrics;
    background?: readonly ({ stop(): Promise<void> } | null)[];
    /** The contracts served over gRPC when `grpc.port` is set. */
    grpc?: GrpcServing;
  },
): Promise<RunningService> {
  const observe = observeEndpoint({
    transport: rt.config.nats.url ? "nats" : "local",
    tracer: rt.telemetry?.tracer,
    metrics: options.metrics,
    accessLog: rt.accessLog,
  });
  const served = options.busEndpoints?.length
    ? await rt.bus.serve(
        { name: options.name, version: rt.version, description: options.description },
        options.busEndpoints.map(observe),
      )
    : null;
  const grpc = await startGrpc(rt, options);
  const server = serveHttp(options.app, rt.config.http);
  rt.logger.info({ url: server.url.toString() }, "serving");
  return {
    url: server.url,
    async stop() {
      await Promise.all([served?.stop(), grpc?.stop(rt.config.http.drainMs)]);
      await drainServer(server, rt.config.http.drainMs);
      for (const work of options.background ?? []) await work?.stop();
    },
  };
}

/**
 * The gRPC listener of a service when `grpc.port` is set: its endpoints through the same middleware
 * (transport `grpc`), identity metadata checked as the HTTP edge checks the headers.
 */
async function startGrpc<C extends BaseConfig>(
  rt: ServiceRuntime<C>,
  options: {
    name: string;
    grpc?: GrpcServing;
    metrics?: Metrics;
  },
): Promise<GrpcServer | null> {
  const config = rt.config.grpc;
  if (config.port === undefined || !options.grpc) return null;
  const observe = observeEndpoint({
    transport: "grpc",
    tracer: rt.telemetry?.tracer,
    metrics: options.metrics,
    accessLog: rt.accessLog,
  });
  return serveGrpc({
    host: config.host,
    port: config.port,
    schema: grpcServiceSchemaOf(options.name, options.grpc.endpoints, options.grpc.proto),
    endpoints: options.grpc.endpoints.map(observe),
    maxMessageBytes: config.maxMessageBytes,
    defaultTimeoutMs: config.defaultTimeoutMs,
    identity: forwardedIdentityCheck(identityOptionsOf(rt.config.identity)),
    readiness: { checks: options.grpc.readiness },
    logger: rt.logger,
  });
}
