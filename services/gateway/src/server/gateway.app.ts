// Assembles a gateway from a loaded config and its collaborators; `main.ts` and the tests both use it.

import type { AccessEntry } from "@shared/log";
import { Registry } from "prom-client";
import { HttpCacheFront } from "../cache/cache.front.ts";
import { type LoadedConfig, metricsAddressOf } from "../config/config.load.ts";
import { parseListenAddress } from "../config/config.schema.ts";
import { serverLimitsOf } from "../config/server.limits.ts";
import { createDocs } from "../ops/docs.ts";
import { createGatewayMetrics } from "../ops/metrics.ts";
import type { fetchBackendSpecs } from "../ops/openapi.ts";
import { createOpsRoutes } from "../ops/ops.routes.ts";
import { buildRuntime, type GatewayFeatures } from "../proxy/endpoint.build.ts";
import type { Breaker } from "../proxy/endpoint.types.ts";
import { problem, transportProblem } from "../proxy/problem.ts";
import { createUpstream, type Upstream } from "../proxy/upstream.ts";
import type { GatewayTracing } from "../telemetry/request.trace.ts";
import { toResponse } from "../transport/answer.ts";
import type { Handler, Listening } from "../transport/transport.ts";
import { type TransportName, transports } from "../transport/transports.ts";
import { createGatewayHandler, type RuntimeRef } from "./gateway.handler.ts";
import type { ServerLogger } from "./proxy.call.ts";
import { requestIdFrom } from "./request.id.ts";

/** Options of `createGateway`. */
export interface GatewayOptions {
  loaded: LoadedConfig;
  features?: GatewayFeatures;
  logger: ServerLogger;
  version?: string;
  accessLog?: boolean;
  /** Writes access-log lines; default: `logger.info(entry, "request")`. */
  accessWriter?: (entry: AccessEntry) => void;
  registry?: Registry;
  fetchSpecs?: typeof fetchBackendSpecs;
  /** Concurrent buffered fetch calls per backend origin (default 64, Bun's idle-socket pool); 0 disables. */
  upstreamConcurrency?: number;
  /** Backend client for plain http: "http1" (default, our keep-alive client) or "fetch". */
  upstreamClient?: "http1" | "fetch";
  /** Sockets per backend origin of the HTTP/1.1 client (default 256). */
  upstreamSockets?: number;
  /** Spans of sampled requests (see `telemetry/`); absent: tracing off. */
  tracing?: GatewayTracing | null;
  /** Client-facing transport: "http1" (default, our HTTP/1.1 server on Bun.listen) or "bun" (Bun.serve). */
  server?: TransportName;
}

/** A gateway ready to listen: its runtime reference (for reloads), handler and metrics registry. */
export interface Gateway {
  ref: RuntimeRef;
  registry: Registry;
  fetch: Handler;
  /** The backend client, e.g. to count upstream connections. */
  upstream: Upstream;
  /** Starts the HTTP server on `port` (0 picks a free one). */
  listen(port: number, hostname?: string): Listening;
  /** Starts the listener of `telemetry/metrics.listen_address` (Prometheus `/metrics` only); null when the
   * config has none and `/metrics` is on the public port. */
  listenMetrics(): Listening | null;
}

/** Any other path on the metrics listener: the gateway's own not-found problem. */
function notOnMetricsPort(): Response {
  return toResponse(problem("not_found", "only /metrics is served on this address", requestIdFrom(null)));
}

/** Builds the runtime for `loaded` and the handler serving it. Throws `GatewayConfigError`. */
export function createGateway(opts: GatewayOptions): Gateway {
  const features = opts.features ?? {};
  const ref: RuntimeRef = { current: buildRuntime(opts.loaded, features) };
  const registry = opts.registry ?? new Registry();
  const breakers = () => {
    const out: { label: string; breaker: Breaker }[] = [];
    for (const ep of ref.current.endpoints) {
      for (const be of ep.backends) if (be.breaker) out.push({ label: be.label, breaker: be.breaker });
    }
    return out;
  };
  const metrics = createGatewayMetrics(registry, breakers);
  const version = opts.version ?? "0.0.0-dev";
  const metricsAddress = metricsAddressOf(opts.loaded);
  const metricsResponse = async () =>
    new Response(await registry.metrics(), { headers: { "content-type": registry.contentType } });
  const upstream = createUpstream({
    client: opts.upstreamClient,
    maxSockets: opts.upstreamSockets,
    fetchConcurrency: opts.upstreamConcurrency,
  });
  const logger = opts.logger;
  const fetch = createGatewayHandler(ref, {
    logger,
    metrics,
    accessLog:
      (opts.accessLog ?? true) ? (opts.accessWriter ?? ((entry) => logger.info(withLogIds(entry), "request"))) : null,
    upstream,
    tracing: opts.tracing,
    cache: new HttpCacheFront(upstream, metrics),
    ops: createOpsRoutes({
      metrics: metricsAddress === null ? metricsResponse : null,
      docs: createDocs({ title: "Shop API (gateway)", version }, opts.fetchSpecs),
      health: () =>
        Response.json(
          { agents: {}, now: new Date().toISOString(), status: "ok" },
          { headers: { "cache-control": "no-store" } },
        ),
    }),
  });
  const transport = transports[opts.server ?? "http1"];
  return {
    ref,
    registry,
    fetch,
    upstream,
    listen(port, hostname) {
      return transport.listen({
        port,
        hostname,
        handler: fetch,
        problem: transportProblem,
        maxRequestBodySize: ref.current.maxPayload,
        limits: serverLimitsOf(opts.loaded.config),
        onError: (err) => logger.error({ err }, "http server"),
      });
    },
    listenMetrics() {
      if (metricsAddress === null) return null;
      const { hostname, port } = parseListenAddress(metricsAddress);
      return Bun.serve({
        port,
        hostname,
        fetch: (req) =>
          new URL(req.url).pathname === "/metrics" && req.method === "GET" ? metricsResponse() : notOnMetricsPort(),
      });
    },
  };
}

/** An access entry as a pino line carries it: with `trace_id` and `span_id` when the request has a span, as the kit's access line does. */
function withLogIds(entry: AccessEntry): AccessEntry & { trace_id?: string; span_id?: string } {
  return entry.spanId === undefined ? entry : { ...entry, trace_id: entry.traceId, span_id: entry.spanId };
}
