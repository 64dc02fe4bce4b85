import { beforeKey, type Database, executorOf, toAppError } from "@shared/db";
import { and, desc, eq, isNull, type SQL, sql } from "drizzle-orm";
import {
  type NewNotification,
  type Notification,
  type NotificationKind,
  notificationKinds,
  type PageCursor,
} from "./notifier.model.ts";
import { type NotificationRow, notifications } from "./notifier.schema.ts";
import type { NotifierRepo } from "./notifier.service.ts";

function kindOf(value: string): NotificationKind {
  if ((notificationKinds as readonly string[]).includes(value)) return value as NotificationKind;
  throw new Error(`notifier.notifications holds an unknown kind: ${value}`);
}

/** Row -> domain: the only place that knows the table's shape. */
export function notificationFromRow(row: NotificationRow): Notification {
  return {
    id: row.id,
    userId: row.userId,
    kind: kindOf(row.kind),
    eventId: row.eventId,
    subject: row.subject,
    data: row.data,
    createdAt: row.createdAt,
    readAt: row.readAt,
  };
}

/** The PostgreSQL implementation of NotifierRepo. */
export class PgNotifierRepo implements NotifierRepo {
  constructor(private readonly database: Database) {}

  /** Joins the caller's transaction (the consumer's, with its inbox row) when there is one. */
  private get db() {
    return executorOf(this.database);
  }

  async insert(n: NewNotification): Promise<Notification> {
    try {
      const [row] = await this.db
        .insert(notifications)
        .values({
          id: n.id,
          userId: n.userId,
          kind: n.kind,
          eventId: n.eventId,
          subject: n.subject,
          data: n.data,
          createdAt: n.createdAt,
        })
        .returning();
      return notificationFromRow(row!);
    } catch (err) {
      throw toAppError(err) ?? err;
    }
  }

  async listFor(
    userId: string,
    filter: { unreadOnly: boolean },
    before: PageCursor | null,
    limit: number,
  ): Promise<Notification[]> {
    const where: (SQL | undefined)[] = [eq(notifications.userId, userId)];
    if (filter.unreadOnly) where.push(isNull(notifications.readAt));
    if (before) where.push(beforeKey(notifications, before));
    try {
      const rows = await this.db
        .select()
        .from(notifications)
        .where(and(...where))
        .orderBy(desc(notifications.createdAt), desc(notifications.id))
        .limit(limit);
      return rows.map(notificationFromRow);
    } catch (err) {
      throw toAppError(err) ?? err;
    }
  }

  async markRead(userId: string, id: string, at: Date): Promise<Notification | null> {
    try {
      const [row] = await this.db
        .update(notifications)
        .set({ readAt: sql`coalesce(${notifications.readAt}, ${at.toISOString()}::timestamptz)` })
        .where(and(eq(notifications.id, id), eq(notifications.userId, userId)))
        .returning();
      return row ? notificationFromRow(row) : null;
    } catch (err) {
      throw toAppError(err) ?? err;
    }
  }
}
