import type { OpenAPIHono } from "@hono/zod-openapi";
import type { MiddlewareHandler } from "hono";
import pino, { type Logger } from "pino";
import { type DocsInfo, mountDocs, openApiDocument } from "../docs/index.ts";
import { mountHealth, type ReadinessCheck } from "../health/index.ts";
import { type AppEnv, createHttpApp } from "../http/index.ts";
import type { AccessLog } from "../log/index.ts";
import type { Metrics } from "../metrics/index.ts";

/** What every service's HTTP app is built from; main.ts and server.ts fill it, tests use fakes. */
export interface ServiceAppOptions {
  version: string;
  logger: Logger;
  /** The buffered access log (default: the logger). */
  accessLog?: AccessLog;
  /** Verification of forwarded identity (defence in depth); absent means the gateway alone is trusted. */
  identity?: MiddlewareHandler;
  metrics?: Metrics;
  readiness?: Record<string, ReadinessCheck>;
  bodyLimitBytes?: number;
  isDraining?: () => boolean;
}

/** A service's description for its documents (the version comes from the build). */
export type ServiceInfo = Omit<DocsInfo, "version">;

/**
 * A service's HTTP app: the kit's app with the service's routes (`mount`), `/healthz`, `/readyz`,
 * `/metrics` and `/openapi.json`, `/openapi.yaml`, `/docs`; `extras` adds routes that are not part of
 * the API document (e.g. `/asyncapi.json`).
 */
export function createServiceApp(
  info: ServiceInfo,
  options: ServiceAppOptions,
  mount: (app: OpenAPIHono<AppEnv>) => void,
  extras?: (app: OpenAPIHono<AppEnv>) => void,
): OpenAPIHono<AppEnv> {
  const app = createHttpApp({
    logger: options.logger,
    accessLog: options.accessLog,
    identity: options.identity,
    metrics: options.metrics,
    bodyLimitBytes: options.bodyLimitBytes,
  });
  mount(app);
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

/**
 * The OpenAPI document of a service from its routes alone, with no connections: `mount` registers the
 * routes with handlers that are never called.
 */
export function serviceApiDocument(
  info: ServiceInfo,
  version: string,
  mount: (app: OpenAPIHono<AppEnv>) => void,
): Record<string, unknown> {
  const app = createHttpApp({ logger: pino({ level: "silent" }) });
  mount(app);
  return openApiDocument(app, { ...info, version });
}
