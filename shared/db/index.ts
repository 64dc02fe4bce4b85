export {
  createDatabase,
  type Database,
  type DatabaseOptions,
  type PoolOptions,
  reconnectDelaySec,
  type Tx,
} from "./database.ts";
export {
  createDatabaseIfMissing,
  DatabaseUrlRequiredError,
  type EmbeddedPostgresOptions,
  type EmbeddedPostgresServer,
  freePort,
  isCompiledBinary,
  type ResolveDatabaseUrlOptions,
  type ResolvedDatabaseUrl,
  resolveDatabaseUrl,
  startEmbeddedPostgres,
  withDatabase,
} from "./embedded.ts";
export {
  type ConnectTarget,
  explainUnusableDatabase,
  isDriverBackgroundError,
  type PgErrorInfo,
  pgErrorOf,
  toAppError,
} from "./errors.ts";
export { GrantNotAllowedError, type GrantOptions, type GrantReport, grantServiceRoles, serviceRoles } from "./grant.ts";
export { quoteIdent } from "./ident.ts";
export { afterKey, beforeKey, type KeysetColumns } from "./keyset.ts";
export { type DbLogger, silentLogger } from "./logger.ts";
export {
  type AppliedMigration,
  journalTable,
  type MigrateOptions,
  MigrationChangedError,
  MigrationRoleError,
  type MigrationState,
  migrate,
  migrationStatus,
} from "./migrate.ts";
// The macro itself is imported from "./migrations.macro.ts" with { type: "macro" }; only its type is re-exported.
export type { EmbeddedMigration } from "./migrations.macro.ts";
export { type ConnectionRetry, retryOnConnectionLoss } from "./retry.ts";
export { afterCommit, executorOf, inTransaction, type TransactionOptions } from "./transaction.ts";
