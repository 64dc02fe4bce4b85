import { inboxTable } from "@shared/events/tables.ts";
import { sql } from "drizzle-orm";
import { index, pgSchema, text, timestamp, uniqueIndex, uuid } from "drizzle-orm/pg-core";

/** The users service owns this PostgreSQL schema and nothing else. */
export const usersSchema = pgSchema("users");

/** Profiles: one row per user, keyed by the id the auth service gave the user. Timestamps keep
 * milliseconds only, so a cursor made from a JS Date matches the stored value exactly. */
export const profiles = usersSchema.table(
  "profiles",
  {
    id: uuid("id").primaryKey(),
    email: text("email").notNull(),
    displayName: text("display_name").notNull(),
    createdAt: timestamp("created_at", { withTimezone: true, mode: "date", precision: 3 }).notNull().defaultNow(),
    updatedAt: timestamp("updated_at", { withTimezone: true, mode: "date", precision: 3 }).notNull().defaultNow(),
  },
  (t) => [
    uniqueIndex("profiles_email_key").on(sql`lower(${t.email})`),
    index("profiles_created_id_idx").on(t.createdAt, t.id),
  ],
);

/** Ids of the events already processed (`auth.user.registered`), written with the profile they created. */
export const inbox = inboxTable(usersSchema);

/** A profiles row as drizzle reads it; never leaves the repository. */
export type ProfileRow = typeof profiles.$inferSelect;
