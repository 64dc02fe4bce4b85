import type { MiddlewareHandler } from "hono";
import { bodyLimit } from "hono/body-limit";
import { AppError } from "../errors/index.ts";
import type { AppEnv } from "./env.ts";

const bodyMethods = new Set(["POST", "PUT", "PATCH", "DELETE"]);

/**
 * Checks request bodies before any handler or validator sees them: a media type the service does not
 * read is a 415 (Hono's validators would otherwise treat it as an empty object) and a body over the
 * limit is a 413, whether it announces its length or streams. Requests without a body pass untouched.
 */
export function requestBody(options: { limitBytes: number; accepted?: readonly string[] }): MiddlewareHandler<AppEnv> {
  const accepted = options.accepted ?? ["application/json"];
  const limit = bodyLimit({
    maxSize: options.limitBytes,
    onError: () => {
      throw new AppError("payload_too_large", `Request body exceeds ${options.limitBytes} bytes`);
    },
  });
  return async (c, next) => {
    if (!bodyMethods.has(c.req.method) || c.req.raw.body === null || c.req.header("content-length") === "0") {
      return next();
    }
    const type = (c.req.header("content-type") ?? "").split(";")[0]!.trim().toLowerCase();
    if (!accepted.includes(type)) {
      throw new AppError(
        "unsupported_media_type",
        `Content-Type must be ${accepted.join(" or ")}${type ? `, got ${type}` : ""}`,
      );
    }
    return limit(c, next);
  };
}
