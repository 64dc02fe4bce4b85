/**
 * The platform's one error taxonomy. Every layer throws `AppError` with a code from this closed union;
 * each transport maps the code once, from one table (HTTP: `httpStatusOf`, gRPC: `grpcStatusOf`, NATS: the
 * code travels as is with its HTTP status).
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

/** gRPC status codes (grpc/grpc doc/statuscodes.md), named as in the spec. */
export const grpcStatus = {
  OK: 0,
  CANCELLED: 1,
  UNKNOWN: 2,
  INVALID_ARGUMENT: 3,
  DEADLINE_EXCEEDED: 4,
  NOT_FOUND: 5,
  ALREADY_EXISTS: 6,
  PERMISSION_DENIED: 7,
  RESOURCE_EXHAUSTED: 8,
  FAILED_PRECONDITION: 9,
  ABORTED: 10,
  OUT_OF_RANGE: 11,
  UNIMPLEMENTED: 12,
  INTERNAL: 13,
  UNAVAILABLE: 14,
  DATA_LOSS: 15,
  UNAUTHENTICATED: 16,
} as const;

/**
 * The one table from error code to every transport: the HTTP status (NATS error replies carry it too,
 * with the code itself in the problem body) and the gRPC status (the code itself travels in the
 * `shop-problem-bin` trailer, so codes sharing a gRPC status still come back apart).
 */
const transportCodes: Record<ErrorCode, { http: number; grpc: number }> = {
  invalid_argument: { http: 400, grpc: grpcStatus.INVALID_ARGUMENT },
  unauthenticated: { http: 401, grpc: grpcStatus.UNAUTHENTICATED },
  permission_denied: { http: 403, grpc: grpcStatus.PERMISSION_DENIED },
  not_found: { http: 404, grpc: grpcStatus.NOT_FOUND },
  method_not_allowed: { http: 405, grpc: grpcStatus.UNIMPLEMENTED },
  conflict: { http: 409, grpc: grpcStatus.ABORTED },
  precondition_failed: { http: 412, grpc: grpcStatus.FAILED_PRECONDITION },
  payload_too_large: { http: 413, grpc: grpcStatus.RESOURCE_EXHAUSTED },
  unsupported_media_type: { http: 415, grpc: grpcStatus.INVALID_ARGUMENT },
  unprocessable_content: { http: 422, grpc: grpcStatus.FAILED_PRECONDITION },
  too_many_requests: { http: 429, grpc: grpcStatus.RESOURCE_EXHAUSTED },
  internal: { http: 500, grpc: grpcStatus.INTERNAL },
  unavailable: { http: 503, grpc: grpcStatus.UNAVAILABLE },
  timeout: { http: 504, grpc: grpcStatus.DEADLINE_EXCEEDED },
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
  return transportCodes[code].http;
}

/** The gRPC status for an error code. */
export function grpcStatusOf(code: ErrorCode): number {
  return transportCodes[code].grpc;
}

/** Statuses a bare answer (no problem with it) can only mean that the call failed, as a NATS timeout does. */
const failedCallStatuses = new Set<number>([
  grpcStatus.CANCELLED,
  grpcStatus.UNKNOWN,
  grpcStatus.DEADLINE_EXCEEDED,
  grpcStatus.UNIMPLEMENTED,
  grpcStatus.INTERNAL,
  grpcStatus.UNAVAILABLE,
  grpcStatus.DATA_LOSS,
]);

/**
 * The error code of a gRPC status that came without a problem (made by the library or a proxy): a
 * failed call (deadline, unknown method, protocol error) is `unavailable`; any other status maps back
 * through the table to its first code.
 */
export function errorCodeOfGrpcStatus(status: number): ErrorCode {
  if (failedCallStatuses.has(status)) return "unavailable";
  return errorCodes.find((code) => transportCodes[code].grpc === status) ?? "unavailable";
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
