import { describe, expect, test } from "bun:test";
import type { NewNotification } from "./notifier.model.ts";
import type { NotifierRepo } from "./notifier.service.ts";

const id = (n: number) => `0190d9a4-6b1e-7c3a-9f51-${n.toString(16).padStart(12, "0")}`;
const alice = id(0xa1);
const bob = id(0xb0);

function notification(n: number, userId: string, at: Date): NewNotification {
  return {
    id: id(n),
    userId,
    kind: "order-placed",
    eventId: id(0x10000 + n),
    subject: `order ${n}`,
    data: { orderId: id(0x20000 + n), totalMinor: n, currency: "EUR" },
    createdAt: at,
  };
}

/**
 * Registers the behaviour every NotifierRepo must have; run against the in-memory fake and against
 * PostgreSQL so the fake used by service tests cannot drift from the real thing.
 */
export function notifierRepoContract(name: string, makeRepo: () => Promise<NotifierRepo>): void {
  describe(`${name} (NotifierRepo contract)`, () => {
    test("an inserted notification reads back equal and unread", async () => {
      const repo = await makeRepo();
      const at = new Date("2025-01-02T03:04:05.678Z");
      const inserted = await repo.insert(notification(1, alice, at));
      expect(inserted).toEqual({ ...notification(1, alice, at), readAt: null });
      expect(await repo.listFor(alice, { unreadOnly: false }, null, 10)).toEqual([inserted]);
    });

    test("a user lists only their own notifications, newest first, page by page", async () => {
      const repo = await makeRepo();
      const base = Date.parse("2025-01-01T00:00:00.000Z");
      // Two share a timestamp, so the id breaks the tie.
      const times = [0, 1000, 1000, 2000, 3000];
      for (const [i, t] of times.entries()) await repo.insert(notification(i + 1, alice, new Date(base + t)));
      await repo.insert(notification(99, bob, new Date(base + 5000)));
      const seen: string[] = [];
      let before = null;
      for (;;) {
        const page = await repo.listFor(alice, { unreadOnly: false }, before, 2);
        seen.push(...page.map((n) => n.id));
        const last = page.at(-1);
        if (page.length < 2 || !last) break;
        before = { createdAt: last.createdAt, id: last.id };
      }
      expect(seen).toEqual([id(5), id(4), id(3), id(2), id(1)]);
    });

    test("marking read keeps the first time, hides it from unread listings, and is only for the owner", async () => {
      const repo = await makeRepo();
      await repo.insert(notification(1, alice, new Date("2025-01-01T00:00:00.000Z")));
      await repo.insert(notification(2, alice, new Date("2025-01-01T00:00:01.000Z")));
      expect(await repo.markRead(bob, id(1), new Date())).toBeNull();
      expect(await repo.markRead(alice, id(77), new Date())).toBeNull();
      const first = new Date("2025-02-01T00:00:00.000Z");
      expect((await repo.markRead(alice, id(1), first))?.readAt).toEqual(first);
      expect((await repo.markRead(alice, id(1), new Date("2025-03-01T00:00:00.000Z")))?.readAt).toEqual(first);
      const unread = await repo.listFor(alice, { unreadOnly: true }, null, 10);
      expect(unread.map((n) => n.id)).toEqual([id(2)]);
    });
  });
}
