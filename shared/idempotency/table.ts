import { index, integer, jsonb, type PgSchema, primaryKey, text, timestamp } from "drizzle-orm/pg-core";

/**
 * `<schema>.idempotency_keys`, the answers kept for retries, keyed by caller and key. Declare it in the
 * service's `*.schema.ts` so drizzle-kit generates it into the service's migrations.
 * @example export const idempotencyKeys = idempotencyKeysTable(ordersSchema);
 */
export function idempotencyKeysTable(schema: PgSchema) {
  return schema.table(
    "idempotency_keys",
    {
      scope: text("scope").notNull(),
      key: text("key").notNull(),
      fingerprint: text("fingerprint").notNull(),
      status: integer("status").notNull(),
      headers: jsonb("headers").$type<Record<string, string>>().notNull(),
      body: text("body"),
      createdAt: timestamp("created_at", { withTimezone: true }).notNull().defaultNow(),
      expiresAt: timestamp("expires_at", { withTimezone: true }).notNull(),
    },
    (t) => [
      primaryKey({ name: "idempotency_keys_pkey", columns: [t.scope, t.key] }),
      index("idempotency_keys_expires_idx").on(t.expiresAt),
    ],
  );
}

/** The drizzle table `idempotencyKeysTable` returns. */
export type IdempotencyKeysTable = ReturnType<typeof idempotencyKeysTable>;
