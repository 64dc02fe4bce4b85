export { type IdempotencyConfig, idempotencyConfigSchema } from "./config.ts";
export { fingerprintOf, idempotencyKeyHeader, idempotencyKeyHeaderName, keyOf } from "./key.ts";
export { MemoryIdempotencyStore } from "./memory.ts";
export { PgIdempotencyStore } from "./postgres.ts";
export { type RunningPurge, startIdempotencyPurge } from "./purge.ts";
export {
  type IdempotencyClaim,
  type IdempotencyOutcome,
  type IdempotencyStore,
  keyInProgress,
  keyReused,
  type StoredAnswer,
} from "./store.ts";
export { type IdempotencyKeysTable, idempotencyKeysTable } from "./table.ts";
