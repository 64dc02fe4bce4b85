import { AppError } from "@shared/errors";
import type { NewNotification, Notification, PageCursor } from "./notifier.model.ts";
import type { NotifierRepo } from "./notifier.service.ts";

const newestFirst = (a: Notification, b: Notification) =>
  b.createdAt.getTime() - a.createdAt.getTime() || (a.id < b.id ? 1 : a.id > b.id ? -1 : 0);

function isBefore(n: Notification, c: PageCursor): boolean {
  const t = n.createdAt.getTime();
  const ct = c.createdAt.getTime();
  return t < ct || (t === ct && n.id < c.id);
}

/** An in-memory NotifierRepo for service tests; passes the same contract suite as the PostgreSQL one. */
export class MemoryNotifierRepo implements NotifierRepo {
  private readonly rows = new Map<string, Notification>();

  /** Every stored notification (for tests). */
  all(): Notification[] {
    return [...this.rows.values()].map((n) => structuredClone(n));
  }

  async insert(n: NewNotification): Promise<Notification> {
    if (this.rows.has(n.id)) throw new AppError("conflict", `notification ${n.id} already exists`);
    // Timestamps keep milliseconds only, like the table.
    const stored: Notification = { ...structuredClone(n), readAt: null };
    this.rows.set(n.id, stored);
    return structuredClone(stored);
  }

  async listFor(
    userId: string,
    filter: { unreadOnly: boolean },
    before: PageCursor | null,
    limit: number,
  ): Promise<Notification[]> {
    return [...this.rows.values()]
      .filter((n) => n.userId === userId)
      .filter((n) => !filter.unreadOnly || n.readAt === null)
      .filter((n) => !before || isBefore(n, before))
      .sort(newestFirst)
      .slice(0, limit)
      .map((n) => structuredClone(n));
  }

  async markRead(userId: string, id: string, at: Date): Promise<Notification | null> {
    const current = this.rows.get(id);
    if (!current || current.userId !== userId) return null;
    if (current.readAt === null) current.readAt = new Date(at.getTime());
    return structuredClone(current);
  }
}
