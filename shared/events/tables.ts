import { sql } from "drizzle-orm";
import { getTableConfig, index, integer, jsonb, type PgSchema, text, timestamp, uuid } from "drizzle-orm/pg-core";

/**
 * `<schema>.outbox`, the events a service committed and has not yet (or recently) published. Declare it in
 * the service's `*.schema.ts` so drizzle-kit generates it into the service's migrations.
 * @example export const outbox = outboxTable(ordersSchema);
 */
export function outboxTable(schema: PgSchema) {
  return schema.table(
    "outbox",
    {
      id: uuid("id").primaryKey(),
      subject: text("subject").notNull(),
      version: integer("version").notNull(),
      payload: jsonb("payload").notNull(),
      headers: jsonb("headers").$type<Record<string, string>>().notNull().default({}),
      createdAt: timestamp("created_at", { withTimezone: true }).notNull().defaultNow(),
      sentAt: timestamp("sent_at", { withTimezone: true }),
    },
    (t) => [index("outbox_unsent_idx").on(t.createdAt, t.id).where(sql`sent_at is null`)],
  );
}

/**
 * `<schema>.inbox`, the ids of events a consumer has processed; inserted in the handler's transaction.
 * @example export const inbox = inboxTable(notifierSchema);
 */
export function inboxTable(schema: PgSchema) {
  return schema.table("inbox", {
    eventId: uuid("event_id").primaryKey(),
    subject: text("subject").notNull(),
    receivedAt: timestamp("received_at", { withTimezone: true }).notNull().defaultNow(),
  });
}

/** The drizzle table `outboxTable` returns. */
export type OutboxTable = ReturnType<typeof outboxTable>;
/** The drizzle table `inboxTable` returns. */
export type InboxTable = ReturnType<typeof inboxTable>;

/** The PostgreSQL schema a table lives in (`public` when none). */
export function schemaOf(table: OutboxTable | InboxTable): string {
  return getTableConfig(table).schema ?? "public";
}

/** The LISTEN/NOTIFY channel of a schema's outbox. */
export const outboxChannel = (schema: string) => `${schema}_outbox`;
