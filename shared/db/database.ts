import { AsyncLocalStorage } from "node:async_hooks";
import type { Tracer } from "@opentelemetry/api";
import type { ExtractTablesWithRelations } from "drizzle-orm";
import type { PgTransaction } from "drizzle-orm/pg-core";
import { drizzle, type PostgresJsDatabase, type PostgresJsQueryResultHKT } from "drizzle-orm/postgres-js";
import postgres from "postgres";
import { type DbLogger, silentLogger } from "./logger.ts";
import { tracedClient } from "./tracing.ts";

/** Pool settings, in the units postgres.js uses (seconds). */
export interface PoolOptions {
  /** Maximum open connections. */
  max: number;
  /** Close a connection idle this long (seconds); 0 keeps it. */
  idleTimeoutSec: number;
  /** Give up opening a connection after this long (seconds), per host of the URL. */
  connectTimeoutSec: number;
  /**
   * The server cancels a statement running longer than this, and ends a session idle inside a transaction
   * for longer (ms; 0: no limit; default 30 000). It bounds what a request can hold while a failover runs.
   */
  statementTimeoutMs?: number;
}

/** Seconds postgres.js waits before reconnecting after `failures` failed attempts: 50 ms doubling up to 1 s. */
export function reconnectDelaySec(failures: number): number {
  return Math.min(0.05 * 2 ** Math.max(0, failures - 1), 1);
}

/** Options of `createDatabase`. */
export interface DatabaseOptions<TTables extends Record<string, unknown> = Record<string, never>> {
  /**
   * `postgres://user:pass@host:port/db`, or several hosts to follow a promoted standby:
   * `postgres://user:pass@h1:5432,h2:5432/db?target_session_attrs=read-write` (each host is tried in turn,
   * once per connection; a query fails when none is a primary).
   */
  url: string;
  /** The PostgreSQL schema this service owns. Tables are declared with `pgSchema(schema)`, so no search_path is set. */
  schema: string;
  pool: PoolOptions;
  logger?: DbLogger;
  /** Optional drizzle schema object (tables and relations) to enable `db.query.*`. */
  tables?: TTables;
  /** Traces drizzle's queries and transactions (see `tracedClient`); null or absent: off. */
  tracer?: Tracer | null;
  /** Reported as `application_name` in `pg_stat_activity`; defaults to `schema`. */
  applicationName?: string;
}

/** The drizzle transaction type handed to `inTransaction` callbacks. */
export type Tx<TTables extends Record<string, unknown> = Record<string, never>> = PgTransaction<
  PostgresJsQueryResultHKT,
  TTables,
  ExtractTablesWithRelations<TTables>
>;

/** A connected database: the raw postgres.js client, drizzle on top of it, and their lifecycle. */
export interface Database<TTables extends Record<string, unknown> = Record<string, never>> {
  /** postgres.js client (pool). Use for raw SQL, `listen`, `reserve`. */
  sql: postgres.Sql;
  /** drizzle over `sql`. Prefer `executorOf(database)` in repositories so outer transactions are joined. */
  db: PostgresJsDatabase<TTables>;
  /** The PostgreSQL schema this service owns. */
  schema: string;
  /** The transaction of the current async context, if any; owned by this object, not by the module. */
  readonly txContext: AsyncLocalStorage<Tx<TTables>>;
  /** Runs `select 1`; rejects when the server cannot be reached. For readiness checks. */
  ping(): Promise<void>;
  /** Closes the pool, waiting up to `timeoutSec` for running queries. */
  close(timeoutSec?: number): Promise<void>;
}

/** Opens a postgres.js pool and drizzle on it; nothing connects until the first query. */
export function createDatabase<TTables extends Record<string, unknown> = Record<string, never>>(
  options: DatabaseOptions<TTables>,
): Database<TTables> {
  const logger = options.logger ?? silentLogger;
  const statementTimeoutMs = options.pool.statementTimeoutMs ?? 30_000;
  const sql = postgres(options.url, {
    max: options.pool.max,
    idle_timeout: options.pool.idleTimeoutSec,
    connect_timeout: options.pool.connectTimeoutSec,
    // The driver's default backoff reaches 20 s after a few failures: far too slow to follow a failover.
    backoff: reconnectDelaySec,
    connection: {
      application_name: options.applicationName ?? options.schema,
      statement_timeout: statementTimeoutMs,
      idle_in_transaction_session_timeout: statementTimeoutMs,
    },
    // postgres.js prints every NOTICE with console.log by default ("schema already exists, skipping", ...).
    onnotice: (notice) => logger.debug({ notice: notice.message, code: notice.code }, "postgres notice"),
  });
  const client = options.tracer ? tracedClient(sql, options.tracer, options.schema) : sql;
  const db = drizzle({ client, ...(options.tables ? { schema: options.tables } : {}) });
  return {
    sql,
    db,
    schema: options.schema,
    txContext: new AsyncLocalStorage<Tx<TTables>>(),
    async ping() {
      await sql`select 1`;
    },
    async close(timeoutSec = 5) {
      await sql.end({ timeout: timeoutSec });
    },
  };
}
