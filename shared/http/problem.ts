import type { Context } from "hono";
import { HTTPException } from "hono/http-exception";
import { asAppError } from "../errors/connection.ts";
import { AppError, type FieldError, httpStatusOf, toProblem } from "../errors/index.ts";
import { textFieldErrorOf } from "../errors/text.ts";
import type { AppEnv } from "./env.ts";

const problemType = "application/problem+json";

/** Answers an AppError as `application/problem+json` with the request id and path. */
export function problemResponse(c: Context<AppEnv>, err: AppError): Response {
  const problem = toProblem(err, { instance: c.req.path, requestId: c.get("requestId") });
  const headers = new Headers(err.options.headers);
  headers.set("content-type", problemType);
  // A fresh Response drops headers set earlier through c.header(), so the request id is set again here.
  const requestId = c.get("requestId");
  if (requestId) headers.set("x-request-id", requestId);
  return new Response(JSON.stringify(problem), { status: problem.status, headers });
}

/** Converts anything thrown by a handler or middleware into the platform's error taxonomy. */
export function toAppError(err: unknown): AppError {
  if (err instanceof HTTPException) return fromHttpException(err);
  return asAppError(err);
}

function fromHttpException(err: HTTPException): AppError {
  // Hono's own validators throw these before our hook runs: malformed JSON is a 400 with this message.
  switch (err.status) {
    case 400:
      return new AppError("invalid_argument", err.message || "Malformed request", { cause: err });
    case 401:
      return new AppError("unauthenticated", err.message || "Missing or invalid credentials", { cause: err });
    case 403:
      return new AppError("permission_denied", err.message || "Forbidden", { cause: err });
    case 404:
      return new AppError("not_found", err.message || "Not found", { cause: err });
    case 405:
      return new AppError("method_not_allowed", err.message || "Method not allowed", { cause: err });
    case 413:
      return new AppError("payload_too_large", "Request body is too large", { cause: err });
    case 415:
      return new AppError("unsupported_media_type", err.message || "Unsupported media type", { cause: err });
    default:
      return err.status >= 500
        ? new AppError("internal", err.message, { cause: err })
        : new AppError("invalid_argument", err.message || "Bad request", { cause: err });
  }
}

interface IssueLike {
  path: PropertyKey[];
  message: string;
}

/** Maps zod issues of one validation target (json, param, query, header) to problem field errors. */
export function fieldErrorsOf(target: string, issues: readonly IssueLike[]): FieldError[] {
  const prefix = prefixOf(target);
  return issues.map((issue) => ({
    path: `/${[prefix, ...issue.path.map(String)].join("/")}`,
    message: issue.message,
  }));
}

/** The zod-openapi `defaultHook`: every validation failure becomes one `invalid_argument` AppError. */
export function validationHook(
  result: { success: boolean; target: string; data?: unknown; error?: { issues: readonly IssueLike[] } },
  _c: Context,
): void {
  const invalid = (fields: FieldError[]) =>
    new AppError("invalid_argument", `Request ${result.target === "json" ? "body" : result.target} is invalid`, {
      fields,
    });
  if (!result.success) throw invalid(fieldErrorsOf(result.target, result.error?.issues ?? []));
  const text = textFieldErrorOf(result.data, [prefixOf(result.target)]);
  if (text !== null) throw invalid([text]);
}

/** True when a status code belongs to the server side (used to pick a log level). */
export function isServerError(err: AppError): boolean {
  return httpStatusOf(err.code) >= 500;
}

function prefixOf(target: string): string {
  return target === "json" || target === "form" ? "body" : target === "param" ? "params" : target;
}
