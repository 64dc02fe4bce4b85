import type { OpenAPIHono } from "@hono/zod-openapi";
import type { Tracer } from "@opentelemetry/api";
import type { MiddlewareHandler } from "hono";
import pino, { type Logger } from "pino";
import { type DocsInfo, mountDocs, openApiDocument } from "../docs/index.ts";
import {
  describeHttpRoutes,
  type Endpoint,
  type HttpRoutes,
  mountHttpRoutes,
  observeEndpoint,
} from "../endpoint/index.ts";
import { mountHealth, type ReadinessCheck } from "../health/index.ts";
import { type AppEnv, createHttpApp } from "../http/index.ts";
import type { IdempotencyStore } from "../idempotency/store.ts";
import type { AccessLog } from "../log/index.ts";
import type { Metrics } from "../metrics/index.ts";
import type { Sampling } from "../telemetry/sampling.ts";

/** What every service's HTTP app is built from; the service module fills it, tests use fakes. */
export interface ServiceAppOptions {
  version: string;
  logger: Logger;
  /** The buffered access log (default: the logger). */
  accessLog?: AccessLog;
  /** Verification of forwarded identity (defence in depth); absent means the gateway alone is trusted. */
  identity?: MiddlewareHandler;
  metrics?: Metrics;
  /** Traces requests and endpoint calls when given. */
  tracer?: Tracer | null;
  /** The sampler's rule the HTTP edge applies before making a span. */
  sampling?: Sampling | null;
  readiness?: Record<string, ReadinessCheck>;
  bodyLimitBytes?: number;
  isDraining?: () => boolean;
  /** Where routes that honour `Idempotency-Key` keep keys and answers (required when there are such routes). */
  idempotency?: IdempotencyStore;
}

/** A service's description for its documents (the version comes from the build). */
export type ServiceInfo = Omit<DocsInfo, "version">;

/**
 * A service's HTTP app: the kit's app with the service's routes, each served by the endpoint of the same
 * key, `/healthz`, `/readyz`, `/metrics` and `/openapi.json`, `/openapi.yaml`, `/docs`; `extras` adds
 * routes that are not part of the API document (e.g. `/asyncapi.json`).
 */
export function createServiceApp<R extends HttpRoutes>(
  info: ServiceInfo,
  options: ServiceAppOptions,
  routes: R,
  endpoints: { [K in keyof R]: Endpoint },
  extras?: (app: OpenAPIHono<AppEnv>) => void,
): OpenAPIHono<AppEnv> {
  const app = createHttpApp({
    logger: options.logger,
    accessLog: options.accessLog,
    identity: options.identity,
    metrics: options.metrics,
    tracer: options.tracer,
    sampling: options.sampling,
    bodyLimitBytes: options.bodyLimitBytes,
  });
  const observe = observeEndpoint({ transport: "http", tracer: options.tracer, metrics: options.metrics });
  const observed = Object.fromEntries(Object.entries(endpoints).map(([key, e]) => [key, observe(e as Endpoint)]));
  mountHttpRoutes(app, routes, observed as { [K in keyof R]: Endpoint }, { idempotency: options.idempotency });
  mountHealth(app, { checks: options.readiness ?? {}, isDraining: options.isDraining });
  if (options.metrics) {
    const metrics = options.metrics;
    app.get("/metrics", () => metrics.handler());
  }
  const docsInfo = { ...info, version: options.version };
  mountDocs(app, openApiDocument(app, docsInfo), docsInfo);
  extras?.(app);
  return app;
}

/** The OpenAPI document of a service from its routes' contracts alone: no service, no connections. */
export function serviceApiDocument(info: ServiceInfo, version: string, routes: HttpRoutes): Record<string, unknown> {
  const app = createHttpApp({ logger: pino({ level: "silent" }) });
  describeHttpRoutes(app, routes);
  return openApiDocument(app, { ...info, version });
}
