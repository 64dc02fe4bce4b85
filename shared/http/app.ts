import { OpenAPIHono } from "@hono/zod-openapi";
import type { Tracer } from "@opentelemetry/api";
import type { MiddlewareHandler } from "hono";
import type { Logger } from "pino";
import { AppError } from "../errors/index.ts";
import type { AccessLog } from "../log/access.ts";
import type { Metrics } from "../metrics/index.ts";
import type { Sampling } from "../telemetry/sampling.ts";
import { aroundRequest } from "./around-request.ts";
import type { AppEnv } from "./env.ts";
import { isServerError, problemResponse, toAppError, validationHook } from "./problem.ts";
import { requestLogger } from "./request-context.ts";

/** Options of the HTTP app factory; everything but the logger has a default. */
export interface HttpAppOptions {
  logger: Logger;
  /** Where access lines go (default `logger`); main.ts gives the kit's buffered access log. */
  accessLog?: AccessLog;
  metrics?: Metrics;
  /** Largest accepted request body in bytes (default 1 MiB). */
  bodyLimitBytes?: number;
  /** Media types accepted for request bodies (default JSON only). */
  acceptContentTypes?: readonly string[];
  /** Opens an HTTP server span per request when given (see `shared/telemetry`). */
  tracer?: Tracer | null;
  /** The sampler's rule, to leave out unsampled requests before any span is made (see `shared/telemetry`). */
  sampling?: Sampling | null;
  /** Checks forwarded identity before any route (see `verifyForwardedIdentity` in `shared/identity`). */
  identity?: MiddlewareHandler;
}

/**
 * Creates the service's OpenAPIHono app with request id, access log, metrics, body-size limit, security
 * headers and ONE error path: validation failures, malformed JSON, wrong content type, unknown routes and
 * thrown AppErrors answer `application/problem+json`; anything else is logged and masked as a 500.
 * @example const app = createHttpApp({ logger, metrics }); app.openapi(route, handler);
 */
export function createHttpApp(options: HttpAppOptions): OpenAPIHono<AppEnv> {
  const app = new OpenAPIHono<AppEnv>({ defaultHook: validationHook });
  app.use(
    aroundRequest({
      logger: options.logger,
      accessLog: options.accessLog,
      metrics: options.metrics,
      limitBytes: options.bodyLimitBytes ?? 1024 * 1024,
      accepted: options.acceptContentTypes,
      tracer: options.tracer,
      sampling: options.sampling,
    }),
  );
  if (options.identity) app.use(options.identity);

  app.notFound((c) => problemResponse(c, new AppError("not_found", `No route for ${c.req.method} ${c.req.path}`)));
  app.onError((err, c) => {
    const appError = toAppError(err);
    if (isServerError(appError)) {
      const log = c.get("baseLogger") ? requestLogger(c) : options.logger;
      log.error({ err: appError.cause ?? appError, code: appError.code }, "request error");
    }
    return problemResponse(c, appError);
  });
  return app;
}
