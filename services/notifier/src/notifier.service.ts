import { AppError } from "@shared/errors";
import { decodeCursor, encodeCursor, pageOf } from "@shared/pagination";
import type { Actor, NewNotification, Notification, NotifierEvent, Page, PageCursor } from "./notifier.model.ts";

/** The storage the notifier needs; adapters implement it (PostgreSQL, in-memory for tests). */
export interface NotifierRepo {
  /** Stores a notification (inside the caller's transaction when there is one). */
  insert(notification: NewNotification): Promise<Notification>;
  /** A user's notifications newest first by (createdAt, id), strictly before the cursor. */
  listFor(
    userId: string,
    filter: { unreadOnly: boolean },
    before: PageCursor | null,
    limit: number,
  ): Promise<Notification[]>;
  /**
   * Marks the user's notification read at `at` unless it already is (the first time wins); null when
   * the id is unknown or belongs to someone else.
   */
  markRead(userId: string, id: string, at: Date): Promise<Notification | null>;
}

function formatAmount(minor: number, currency: string): string {
  return `${(minor / 100).toFixed(2)} ${currency}`;
}

/** What a user is told about an event: the notification's subject line and details. */
export function describeEvent(event: NotifierEvent): Pick<NewNotification, "kind" | "subject" | "data"> {
  switch (event.kind) {
    case "order-placed":
      return {
        kind: event.kind,
        subject: `Your order of ${formatAmount(event.totalMinor, event.currency)} was placed`,
        data: { orderId: event.orderId, totalMinor: event.totalMinor, currency: event.currency },
      };
    case "order-cancelled":
      return {
        kind: event.kind,
        subject: "Your order was cancelled",
        data: { orderId: event.orderId },
      };
    case "user-registered":
      return { kind: event.kind, subject: "Welcome to the shop", data: { email: event.email } };
  }
}

/**
 * Notifications: one is recorded per consumed event for the user it concerns; a user lists and marks
 * read only their own. Another user's notification answers `not_found`, like one that does not exist.
 */
export class NotifierService {
  constructor(
    private readonly repo: NotifierRepo,
    private readonly newId: () => string = () => Bun.randomUUIDv7(),
    private readonly now: () => Date = () => new Date(),
  ) {}

  /**
   * Records the notification for an event. The caller (the event consumer) runs this in the transaction
   * that also records the event as processed, so a redelivered event records nothing twice.
   */
  record(event: NotifierEvent): Promise<Notification> {
    return this.repo.insert({
      id: this.newId(),
      userId: event.userId,
      eventId: event.eventId,
      createdAt: this.now(),
      ...describeEvent(event),
    });
  }

  /** The caller's notifications, newest first, page by page. */
  async list(actor: Actor, query: { cursor?: string; limit: number; unread?: boolean }): Promise<Page<Notification>> {
    const before = query.cursor ? decodeCursor(query.cursor) : null;
    const rows = await this.repo.listFor(actor.userId, { unreadOnly: query.unread ?? false }, before, query.limit + 1);
    return pageOf(rows, query.limit, encodeCursor);
  }

  /** Marks one of the caller's notifications read; marking it again changes nothing. */
  async markRead(actor: Actor, id: string): Promise<Notification> {
    const updated = await this.repo.markRead(actor.userId, id, this.now());
    if (!updated) throw new AppError("not_found", `notification ${id} not found`);
    return updated;
  }
}
