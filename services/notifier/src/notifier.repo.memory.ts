import { AppError } from "@shared/errors";
import { compareKeys } from "@shared/pagination";
import type { NewNotification, Notification, PageCursor } from "./notifier.model.ts";
import type { NotifierRepo } from "./notifier.service.ts";

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
      .filter((n) => !before || compareKeys(n, before) < 0)
      .sort((a, b) => compareKeys(b, a))
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
