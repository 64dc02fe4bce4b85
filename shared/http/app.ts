import { OpenAPIHono } from "@hono/zod-openapi";
import { bodyLimit } from "hono/body-limit";
import { secureHeaders } from "hono/secure-headers";
import type { Logger } from "pino";
import { AppError } from "../errors/index.ts";
import type { Metrics } from "../metrics/index.ts";
import { accessLog } from "./access-log.ts";
import { requireContentType } from "./content-type.ts";
import type { AppEnv } from "./env.ts";
import { isServerError, problemResponse, toAppError, validationHook } from "./problem.ts";
import { requestContext } from "./request-context.ts";

/** Options of the HTTP app factory; everything but the logger has a default. */
export interface HttpAppOptions {
  logger: Logger;
  metrics?: Metrics;
  /** Largest accepted request body in bytes (default 1 MiB). */
  bodyLimitBytes?: number;
  /** Media types accepted for request bodies (default JSON only). */
  acceptContentTypes?: readonly string[];
}

/**
 * Creates the service's OpenAPIHono app with request id, access log, metrics, body-size limit, secure
 * headers and ONE error path: validation failures, malformed JSON, wrong content type, unknown routes and
 * thrown AppErrors answer `application/problem+json`; anything else is logged and masked as a 500.
 * @example const app = createHttpApp({ logger, metrics }); app.openapi(route, handler);
 */
export function createHttpApp(options: HttpAppOptions): OpenAPIHono<AppEnv> {
  const app = new OpenAPIHono<AppEnv>({ defaultHook: validationHook });
  const limit = options.bodyLimitBytes ?? 1024 * 1024;

  app.use(requestContext(options.logger));
  if (options.metrics) app.use(options.metrics.middleware);
  app.use(accessLog());
  app.use(secureHeaders());
  app.use(
    bodyLimit({
      maxSize: limit,
      onError: () => {
        throw new AppError("payload_too_large", `Request body exceeds ${limit} bytes`);
      },
    }),
  );
  app.use(requireContentType(options.acceptContentTypes));

  app.notFound((c) => problemResponse(c, new AppError("not_found", `No route for ${c.req.method} ${c.req.path}`)));
  app.onError((err, c) => {
    const appError = toAppError(err);
    const log = c.get("logger") ?? options.logger;
    if (isServerError(appError)) {
      log.error({ err: appError.cause ?? appError, code: appError.code }, "request error");
    }
    return problemResponse(c, appError);
  });
  return app;
}
