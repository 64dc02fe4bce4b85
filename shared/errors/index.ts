/**
 * The platform's one error taxonomy. Every layer throws `AppError` with a code from this closed union;
 * each transport maps the code once (HTTP: `httpStatusOf`, NATS: the code travels as is).
 */
export const errorCodes = [
  "invalid_argument",
  "unauthenticated",
  "permission_denied",
  "not_found",
  "method_not_allowed",
  "conflict",
  "precondition_failed",
  "payload_too_large",
  "unsupported_media_type",
  "unprocessable_content",
  "too_many_requests",
  "internal",
  "unavailable",
  "timeout",
] as const;

export type ErrorCode = (typeof errorCodes)[number];

/** A field-level problem, as in the `errors` member of a problem+json body. */
export interface FieldError {
  /** JSON-pointer-like path of the offending field, e.g. `/body/email` or `/params/id`. */
  path: string;
  message: string;
}

const statusByCode: Record<ErrorCode, number> = {
  invalid_argument: 400,
  unauthenticated: 401,
  permission_denied: 403,
  not_found: 404,
  method_not_allowed: 405,
  conflict: 409,
  precondition_failed: 412,
  payload_too_large: 413,
  unsupported_media_type: 415,
  unprocessable_content: 422,
  too_many_requests: 429,
  internal: 500,
  unavailable: 503,
  timeout: 504,
};

const titleByCode: Record<ErrorCode, string> = {
  invalid_argument: "Invalid request",
  unauthenticated: "Authentication required",
  permission_denied: "Forbidden",
  not_found: "Not found",
  method_not_allowed: "Method not allowed",
  conflict: "Conflict",
  precondition_failed: "Precondition failed",
  payload_too_large: "Payload too large",
  unsupported_media_type: "Unsupported media type",
  unprocessable_content: "Unprocessable content",
  too_many_requests: "Too many requests",
  internal: "Internal error",
  unavailable: "Service unavailable",
  timeout: "Timeout",
};

/** An error the platform knows how to answer. `message` is safe to show to clients unless code is `internal`. */
export class AppError extends Error {
  override readonly name = "AppError";
  constructor(
    readonly code: ErrorCode,
    message: string,
    readonly options: { fields?: FieldError[]; cause?: unknown; headers?: Record<string, string> } = {},
  ) {
    super(message, { cause: options.cause });
  }
  get fields(): FieldError[] | undefined {
    return this.options.fields;
  }
}

/** True for a code of the closed union (used when codes come back over a wire). */
export function isErrorCode(value: unknown): value is ErrorCode {
  return typeof value === "string" && (errorCodes as readonly string[]).includes(value);
}

/** The HTTP status for an error code. */
export function httpStatusOf(code: ErrorCode): number {
  return statusByCode[code];
}

/** The short human title for an error code (RFC 9457 `title`). */
export function titleOf(code: ErrorCode): string {
  return titleByCode[code];
}

/** An RFC 9457 problem document as this platform writes it. */
export interface Problem {
  type: string;
  title: string;
  status: number;
  detail: string;
  code: ErrorCode;
  instance?: string;
  requestId?: string;
  errors?: FieldError[];
}

/** Converts an AppError to a problem document; internal errors never leak their message. */
export function toProblem(err: AppError, ctx: { instance?: string; requestId?: string } = {}): Problem {
  const masked = err.code === "internal";
  return {
    type: `https://errors.shop.local/${err.code}`,
    title: titleOf(err.code),
    status: httpStatusOf(err.code),
    detail: masked ? "An unexpected error occurred." : err.message,
    code: err.code,
    ...(ctx.instance ? { instance: ctx.instance } : {}),
    ...(ctx.requestId ? { requestId: ctx.requestId } : {}),
    ...(err.fields?.length ? { errors: err.fields } : {}),
  };
}

/** Shorthands for the errors services throw most. */
export const errors = {
  invalid: (message: string, fields?: FieldError[]) => new AppError("invalid_argument", message, { fields }),
  notFound: (what: string) => new AppError("not_found", `${what} not found`),
  forbidden: (message = "You may not do this") => new AppError("permission_denied", message),
  unauthenticated: (message = "Missing or invalid credentials") => new AppError("unauthenticated", message),
  conflict: (message: string) => new AppError("conflict", message),
  unavailable: (message: string, cause?: unknown) => new AppError("unavailable", message, { cause }),
};
