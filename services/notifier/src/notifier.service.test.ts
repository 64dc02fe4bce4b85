import { describe, expect, test } from "bun:test";
import { errorCodeOf } from "@shared/testing/errors.ts";
import type { Actor } from "./notifier.model.ts";
import { MemoryNotifierRepo } from "./notifier.repo.memory.ts";
import { NotifierService } from "./notifier.service.ts";

const alice: Actor = { userId: "00000000-0000-4000-8000-0000000000a1", roles: ["user"] };
const bob: Actor = { userId: "00000000-0000-4000-8000-0000000000b0", roles: ["user"] };
const order = "00000000-0000-4000-8000-00000000f001";

function makeService() {
  let n = 0;
  let clock = Date.parse("2025-01-01T00:00:00.000Z");
  const repo = new MemoryNotifierRepo();
  const service = new NotifierService(
    repo,
    () => `00000000-0000-4000-8000-${(++n).toString(16).padStart(12, "0")}`,
    () => {
      clock += 1000;
      return new Date(clock);
    },
  );
  return { repo, service };
}

const eventId = (n: number) => `00000000-0000-4000-9000-${n.toString(16).padStart(12, "0")}`;

describe("the notifier service", () => {
  test("an order placed becomes a notification for its owner naming the total", async () => {
    const { service } = makeService();
    const n = await service.record({
      kind: "order-placed",
      eventId: eventId(1),
      userId: alice.userId,
      orderId: order,
      totalMinor: 1250,
      currency: "EUR",
    });
    expect(n).toMatchObject({ userId: alice.userId, kind: "order-placed", eventId: eventId(1), readAt: null });
    expect(n.subject).toBe("Your order of 12.50 EUR was placed");
    expect(n.data).toEqual({ orderId: order, totalMinor: 1250, currency: "EUR" });
  });

  test("a cancelled order and a registration become their own kinds", async () => {
    const { service } = makeService();
    const c = await service.record({
      kind: "order-cancelled",
      eventId: eventId(2),
      userId: alice.userId,
      orderId: order,
    });
    const r = await service.record({
      kind: "user-registered",
      eventId: eventId(3),
      userId: alice.userId,
      email: "alice@example.com",
    });
    expect([c.kind, r.kind]).toEqual(["order-cancelled", "user-registered"]);
    expect(r.data).toEqual({ email: "alice@example.com" });
  });

  test("a user lists only their own notifications, newest first, through cursors", async () => {
    const { service } = makeService();
    for (let i = 1; i <= 3; i++) {
      await service.record({ kind: "order-cancelled", eventId: eventId(i), userId: alice.userId, orderId: order });
    }
    await service.record({ kind: "order-cancelled", eventId: eventId(9), userId: bob.userId, orderId: order });
    const first = await service.list(alice, { limit: 2 });
    expect(first.items.map((n) => n.eventId)).toEqual([eventId(3), eventId(2)]);
    const second = await service.list(alice, { limit: 2, cursor: first.nextCursor! });
    expect(second.items.map((n) => n.eventId)).toEqual([eventId(1)]);
    expect(second.nextCursor).toBeNull();
  });

  test("marking another user's notification read is not_found and changes nothing", async () => {
    const { service, repo } = makeService();
    const n = await service.record({
      kind: "order-cancelled",
      eventId: eventId(1),
      userId: alice.userId,
      orderId: order,
    });
    expect(await errorCodeOf(service.markRead(bob, n.id))).toBe("not_found");
    expect(repo.all()[0]!.readAt).toBeNull();
    expect((await service.markRead(alice, n.id)).readAt).not.toBeNull();
    expect((await service.list(alice, { limit: 10, unread: true })).items).toEqual([]);
  });

  test("a malformed cursor is invalid_argument", async () => {
    const { service } = makeService();
    expect(await errorCodeOf(service.list(alice, { limit: 10, cursor: "!!!" }))).toBe("invalid_argument");
  });
});
