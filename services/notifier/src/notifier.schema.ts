import { inboxTable } from "@shared/events/tables.ts";
import { sql } from "drizzle-orm";
import { check, index, jsonb, pgSchema, text, timestamp, uuid } from "drizzle-orm/pg-core";

/** The notifier service owns this PostgreSQL schema and nothing else. */
export const notifierSchema = pgSchema("notifier");

/** Notifications: one per consumed event, for the user the event concerns. Timestamps keep milliseconds
 * only, so a cursor made from a JS Date matches the stored value exactly. `event_id` is indexed, not
 * unique: the inbox is what makes a redelivered event record nothing, and the fault tests count on it. */
export const notifications = notifierSchema.table(
  "notifications",
  {
    id: uuid("id").primaryKey(),
    userId: uuid("user_id").notNull(),
    kind: text("kind").notNull(),
    eventId: uuid("event_id").notNull(),
    subject: text("subject").notNull(),
    data: jsonb("data").$type<Record<string, unknown>>().notNull(),
    createdAt: timestamp("created_at", { withTimezone: true, mode: "date", precision: 3 }).notNull().defaultNow(),
    readAt: timestamp("read_at", { withTimezone: true, mode: "date", precision: 3 }),
  },
  (t) => [
    check("notifications_kind_check", sql`${t.kind} in ('order-placed', 'order-cancelled', 'user-registered')`),
    index("notifications_user_created_idx").on(t.userId, t.createdAt.desc(), t.id.desc()),
    index("notifications_event_idx").on(t.eventId),
  ],
);

/** Ids of the events already processed, written in the same transaction as their notification. */
export const inbox = inboxTable(notifierSchema);

/** A notifications row as drizzle reads it; never leaves the repository. */
export type NotificationRow = typeof notifications.$inferSelect;
