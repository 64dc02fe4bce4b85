import { AppError } from "@shared/errors";
import { codedCause, isConnectionLoss } from "@shared/errors/connection.ts";

/** The fields of a PostgreSQL error (postgres.js `PostgresError`) a repository may want to branch on. */
export interface PgErrorInfo {
  /** SQLSTATE, e.g. `23505`. */
  code: string;
  constraint?: string;
  table?: string;
  column?: string;
  detail?: string;
}

const invalidArgumentStates = new Set([
  "22P02", // invalid_text_representation, e.g. "abc" for a uuid
  "22001", // string_data_right_truncation
  "22003", // numeric_value_out_of_range
  "22007", // invalid_datetime_format
  "22008", // datetime_field_overflow
  "23502", // not_null_violation
  "23514", // check_violation
]);

const unavailableStates = new Set([
  "40001", // serialization_failure: retry the transaction
  "40P01", // deadlock_detected: retry the transaction
  "53300", // too_many_connections
  // a server shutting down or starting (57P01-57P03) is a connection loss: `isConnectionLoss` answers it first
]);

const isSqlState = (code: string) => /^[0-9A-Z]{5}$/.test(code);

/** The PostgreSQL error inside `err` (unwrapping drizzle), or null when `err` did not come from the server. */
export function pgErrorOf(err: unknown): PgErrorInfo | null {
  const coded = codedCause(err);
  if (!coded || !isSqlState(coded.code) || (coded as { name?: unknown }).name !== "PostgresError") return null;
  const text = (key: string) => (typeof coded[key] === "string" ? (coded[key] as string) : undefined);
  return {
    code: coded.code,
    constraint: text("constraint_name"),
    table: text("table_name"),
    column: text("column_name"),
    detail: text("detail"),
  };
}

/**
 * Whether a promise rejection nobody handled is one postgres.js leaves behind on its own: when a new
 * connection fails while the driver fetches array types (its first, internal query), the driver drops that
 * query's promise (porsager/postgres#1192, #1223), and the error surfaces unhandled though every query of
 * ours was awaited. Such errors come from the server (`PostgresError`) or the socket (a connection code).
 * A service should log them and go on: a database failover must not kill it.
 */
export function isDriverBackgroundError(reason: unknown): boolean {
  if (!(reason instanceof Error)) return false;
  const code = (reason as { code?: unknown }).code;
  if (typeof code !== "string") return false;
  return reason.name === "PostgresError" || isConnectionLoss(reason);
}

/**
 * Translates a driver error into an `AppError`, or returns null when it has no safe meaning for a client
 * (the caller rethrows it and the transport answers `internal`).
 *
 * - unique violation → `conflict`
 * - foreign key: a row pointing at a missing parent → `invalid_argument` (the client sent a bad reference);
 *   deleting or re-keying a parent that is still referenced → `conflict` (the request clashes with current state)
 * - invalid text representation, check / not-null violation, out-of-range values → `invalid_argument`
 * - serialization failure, deadlock, connection failures, server shutting down → `unavailable` (retryable)
 * - statement timeout / cancel → `timeout`
 *
 * Messages name the constraint but no values; repositories wanting a domain message branch on `pgErrorOf`.
 */
export function toAppError(err: unknown): AppError | null {
  if (err instanceof AppError) return err;
  const coded = codedCause(err);
  if (!coded) return null;
  if (isConnectionLoss(err)) {
    return new AppError("unavailable", "The database is unavailable", { cause: err });
  }
  const pg = pgErrorOf(err);
  if (!pg) return null;
  const where = pg.constraint ? ` (${pg.constraint})` : "";
  if (pg.code === "23505") {
    return new AppError("conflict", `A record with the same unique value already exists${where}`, { cause: err });
  }
  if (pg.code === "23503") {
    const stillReferenced = /still referenced/i.test(pg.detail ?? "");
    return stillReferenced
      ? new AppError("conflict", `The record is still referenced by other records${where}`, { cause: err })
      : new AppError("invalid_argument", `A referenced record does not exist${where}`, { cause: err });
  }
  if (invalidArgumentStates.has(pg.code)) {
    const column = pg.column ? ` for column ${pg.column}` : "";
    return new AppError("invalid_argument", `Invalid value${column}${where}`, { cause: err });
  }
  if (unavailableStates.has(pg.code)) {
    return new AppError("unavailable", "The database is busy, try again", { cause: err });
  }
  if (pg.code === "57014") {
    return new AppError("timeout", "The database query took too long", { cause: err });
  }
  return null;
}

/** Why a database cannot be used at all, by the first error it gave; null when the error says something else. */
function unusableBecause(code: string): string | null {
  if (code === "ECONNREFUSED") return "nothing listens there (is PostgreSQL running, and is the port right?)";
  if (code === "ENOTFOUND" || code === "EAI_AGAIN") return "the host name does not resolve";
  if (code === "ETIMEDOUT" || code === "CONNECT_TIMEOUT") return "the connection timed out";
  if (code === "28P01" || code === "28000") return "the server refused the credentials";
  if (code === "3D000") return "the database does not exist";
  if (code === "57P03") return "the server is still starting";
  return null;
}

/** Where a postgres.js client connects: the parsed options every `Sql` instance carries. */
export interface ConnectTarget {
  options: { host: string[]; port: number[]; database?: string };
}

/**
 * The first use of a database at start-up (migrations) failing because the database cannot be used at all,
 * as an error that says where and why: "cannot use the database at db:5432/shop: nothing listens there
 * (...)". The place comes from the client's parsed options, so no password can appear. Other errors are
 * returned as they are.
 */
export function explainUnusableDatabase(err: unknown, client: ConnectTarget): unknown {
  const coded = codedCause(err);
  const why = coded ? unusableBecause(coded.code) : null;
  if (!coded || !why) return err;
  const { host, port, database } = client.options;
  const where = `${host.map((h, i) => `${h}:${port[i] ?? port[0]}`).join(",")}/${database ?? ""}`;
  return Object.assign(new Error(`cannot use the database at ${where}: ${why}`, { cause: err }), {
    code: coded.code,
  });
}
