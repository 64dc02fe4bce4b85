import type { MiddlewareHandler } from "hono";
import { AppError } from "../errors/index.ts";
import type { AppEnv } from "./env.ts";

const bodyMethods = new Set(["POST", "PUT", "PATCH"]);

/**
 * Rejects request bodies whose media type the service does not read with 415, before any handler or
 * validator sees them (Hono's validators would otherwise treat them as an empty object).
 */
export function requireContentType(accepted: readonly string[] = ["application/json"]): MiddlewareHandler<AppEnv> {
  return async (c, next) => {
    if (bodyMethods.has(c.req.method)) {
      const hasBody = c.req.header("content-length") !== "0" && c.req.raw.body !== null;
      if (hasBody) {
        const type = (c.req.header("content-type") ?? "").split(";")[0]!.trim().toLowerCase();
        if (!accepted.includes(type)) {
          throw new AppError(
            "unsupported_media_type",
            `Content-Type must be ${accepted.join(" or ")}${type ? `, got ${type}` : ""}`,
          );
        }
      }
    }
    await next();
  };
}
