import { AppError } from "./index.ts";

/** Error codes a lost or refused connection carries: the database driver's and the socket's. */
const connectionLossCodes = new Set([
  // postgres.js (TARGET_SESSION_ATTRS_UNMET: every host answered, none as the primary, e.g. mid-failover)
  "CONNECT_TIMEOUT",
  "CONNECTION_CLOSED",
  "CONNECTION_ENDED",
  "CONNECTION_DESTROYED",
  "TARGET_SESSION_ATTRS_UNMET",
  // sockets and DNS
  "ECONNREFUSED",
  "ECONNRESET",
  "ETIMEDOUT",
  "EPIPE",
  "ENOTFOUND",
  "EAI_AGAIN",
  "EHOSTUNREACH",
]);

/** SQLSTATEs of a server going away or no longer the primary: the next connection may well work. */
const serverGoneStates = new Set([
  "57P01", // admin_shutdown
  "57P02", // crash_shutdown
  "57P03", // cannot_connect_now (starting up, or still in recovery)
  "25006", // read_only_sql_transaction: the server reached is (now) a standby
]);

/**
 * The first error along `err`'s `cause` chain that carries a `code` string (drivers and ORMs wrap each
 * other's errors: drizzle's `DrizzleQueryError` around postgres.js's), up to five links deep.
 */
export function codedCause(err: unknown): { code: string; [key: string]: unknown } | undefined {
  let current: unknown = err;
  for (let depth = 0; depth < 5 && current && typeof current === "object"; depth++) {
    const code = (current as { code?: unknown }).code;
    if (typeof code === "string") return current as { code: string };
    current = (current as { cause?: unknown }).cause;
  }
  return undefined;
}

/**
 * Whether `err` says a backing service (the database) could not be reached or went away mid-request:
 * a refused, reset or timed-out connection, SQLSTATE class 08, a server shutting down or turned standby.
 * Nothing about the request was wrong, so it is worth retrying, by the caller or by its client.
 */
export function isConnectionLoss(err: unknown): boolean {
  const code = codedCause(err)?.code;
  if (!code) return false;
  return connectionLossCodes.has(code) || serverGoneStates.has(code) || /^08[0-9A-Z]{3}$/.test(code);
}

/**
 * Anything thrown, as the platform's error: an `AppError` as it is, a connection loss as `unavailable`
 * (clients retry, with their Idempotency-Key where they write), anything else as `internal`. Every
 * transport converts unknown errors through this one function.
 * @example const appError = asAppError(err); // then the transport's mapping of appError.code
 */
export function asAppError(err: unknown): AppError {
  if (err instanceof AppError) return err;
  if (isConnectionLoss(err))
    return new AppError("unavailable", "A backing service is unavailable, try again", { cause: err });
  return new AppError("internal", "unexpected error", { cause: err });
}
