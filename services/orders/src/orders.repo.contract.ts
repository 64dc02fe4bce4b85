import { describe, expect, test } from "bun:test";
import { AppError } from "@shared/errors";
import { errorCodeOf } from "@shared/testing/errors.ts";
import type { Order } from "./orders.model.ts";
import type { OrdersRepo } from "./orders.service.ts";

const id = (n: number) => `0190d9a4-6b1e-7c3a-9f51-${n.toString(16).padStart(12, "0")}`;
const alice = "0190d9a4-6b1e-7c3a-9f51-0000000000a1";
const bob = "0190d9a4-6b1e-7c3a-9f51-0000000000b0";
const p1 = "0190d9a4-6b1e-7c3a-9f51-00000000f001";
const p2 = "0190d9a4-6b1e-7c3a-9f51-00000000f002";

function order(n: number, overrides: Partial<Order> = {}): Order {
  const at = new Date(Date.UTC(2025, 0, 1, 12, 0, 0, n));
  return {
    id: id(n),
    userId: alice,
    status: "placed",
    currency: "EUR",
    totalMinor: 2 * 1250 + 999,
    lines: [
      { productId: p1, sku: "SKU-1", name: "Mug", quantity: 2, unitPriceMinor: 1250 },
      { productId: p2, sku: "SKU-2", name: "Tea", quantity: 1, unitPriceMinor: 999 },
    ],
    createdAt: at,
    updatedAt: at,
    ...overrides,
  };
}

/**
 * Registers the behaviour every OrdersRepo must have; run against the in-memory fake and against
 * PostgreSQL so the fake used by service tests cannot drift from the real thing.
 */
export function ordersRepoContract(name: string, makeRepo: () => Promise<OrdersRepo>): void {
  describe(`${name} (OrdersRepo contract)`, () => {
    test("an inserted order reads back equal, lines in their order", async () => {
      const repo = await makeRepo();
      const inserted = await repo.insert(order(1));
      expect(inserted).toEqual(order(1));
      expect(await repo.get(id(1))).toEqual(order(1));
    });

    test("an unknown id reads as null and updates as null without calling the change", async () => {
      const repo = await makeRepo();
      let called = false;
      expect(await repo.get(id(99))).toBeNull();
      const updated = await repo.updateStatus(id(99), () => {
        called = true;
        return { status: "cancelled", updatedAt: new Date() };
      });
      expect(updated).toBeNull();
      expect(called).toBe(false);
    });

    test("a taken id is a conflict and leaves the first order as it was", async () => {
      const repo = await makeRepo();
      await repo.insert(order(1));
      expect(await errorCodeOf(repo.insert(order(1, { userId: bob, totalMinor: 1 })))).toBe("conflict");
      expect(await repo.get(id(1))).toEqual(order(1));
    });

    test("an order listing one product twice is refused whole", async () => {
      const repo = await makeRepo();
      const twice = order(2, {
        lines: [
          { productId: p1, sku: "SKU-1", name: "Mug", quantity: 1, unitPriceMinor: 1250 },
          { productId: p1, sku: "SKU-1", name: "Mug", quantity: 1, unitPriceMinor: 1250 },
        ],
      });
      expect(await errorCodeOf(repo.insert(twice))).toBe("conflict");
      expect(await repo.get(id(2))).toBeNull();
    });

    test("a status update sees the current order and writes status and updatedAt only", async () => {
      const repo = await makeRepo();
      await repo.insert(order(1));
      const later = new Date(Date.UTC(2025, 0, 2));
      let seen: Order | undefined;
      const updated = await repo.updateStatus(id(1), (current) => {
        seen = current;
        return { status: "cancelled", updatedAt: later };
      });
      expect(seen).toEqual(order(1));
      expect(updated).toEqual({ ...order(1), status: "cancelled", updatedAt: later });
      expect(await repo.get(id(1))).toEqual(updated);
    });

    test("a change that throws rolls back and the error comes out unchanged", async () => {
      const repo = await makeRepo();
      await repo.insert(order(1));
      const refused = repo.updateStatus(id(1), () => {
        throw new AppError("conflict", "no");
      });
      expect(await errorCodeOf(refused)).toBe("conflict");
      expect(await repo.get(id(1))).toEqual(order(1));
    });

    test("listing walks a user's orders newest first, each once, across pages", async () => {
      const repo = await makeRepo();
      for (let n = 1; n <= 5; n++) await repo.insert(order(n));
      await repo.insert(order(6, { userId: bob }));
      const seen: string[] = [];
      let before = null;
      for (;;) {
        const page = await repo.list({ userId: alice }, before, 2);
        if (page.length === 0) break;
        seen.push(...page.map((o) => o.id));
        const last = page.at(-1)!;
        before = { createdAt: last.createdAt, id: last.id };
      }
      expect(seen).toEqual([5, 4, 3, 2, 1].map(id));
    });

    test("orders created in the same millisecond are ordered by id and none is skipped", async () => {
      const repo = await makeRepo();
      const at = new Date(Date.UTC(2025, 0, 1));
      for (let n = 1; n <= 4; n++) await repo.insert(order(n, { createdAt: at, updatedAt: at }));
      const first = await repo.list({}, null, 2);
      const last = first.at(-1)!;
      const second = await repo.list({}, { createdAt: last.createdAt, id: last.id }, 5);
      expect([...first, ...second].map((o) => o.id)).toEqual([4, 3, 2, 1].map(id));
    });

    test("listing filters by status and without a user lists everyone's, lines included", async () => {
      const repo = await makeRepo();
      await repo.insert(order(1));
      await repo.insert(order(2, { userId: bob }));
      await repo.updateStatus(id(1), () => ({ status: "paid", updatedAt: new Date(Date.UTC(2025, 1, 1)) }));
      expect((await repo.list({ status: "paid" }, null, 10)).map((o) => o.id)).toEqual([id(1)]);
      const all = await repo.list({}, null, 10);
      expect(all.map((o) => o.id)).toEqual([id(2), id(1)]);
      expect(all[0]!.lines).toEqual(order(2).lines);
    });

    test("confirming places a pending order once; an order no longer pending is left as it is", async () => {
      const repo = await makeRepo();
      const pending = order(1, { status: "pending" });
      await repo.insert(pending);
      const later = new Date(Date.UTC(2025, 1, 1));
      expect(await repo.confirm(pending, later)).toEqual({ ...pending, status: "placed", updatedAt: later });
      expect(await repo.confirm(pending, new Date())).toBeNull();
      await repo.insert(order(2, { status: "pending" }));
      await repo.updateStatus(id(2), () => ({ status: "rejected", updatedAt: later }));
      expect(await repo.confirm(order(2, { status: "pending" }), new Date())).toBeNull();
      expect((await repo.get(id(2)))?.status).toBe("rejected");
    });

    test("stale pending orders are found oldest first, and only those created before the given time", async () => {
      const repo = await makeRepo();
      await repo.insert(order(3, { status: "pending" }));
      await repo.insert(order(1, { status: "pending" }));
      await repo.insert(order(2));
      await repo.insert(order(9, { status: "pending" }));
      const before = order(5).createdAt;
      expect(await repo.stalePending(before, 10)).toEqual([id(1), id(3)]);
      expect(await repo.stalePending(before, 1)).toEqual([id(1)]);
    });

    test("ended orders hold stock until it is marked released; live ones are never listed", async () => {
      const repo = await makeRepo();
      for (const n of [1, 2, 3, 4]) await repo.insert(order(n, { status: n === 4 ? "pending" : "placed" }));
      await repo.updateStatus(id(1), () => ({ status: "cancelled", updatedAt: new Date() }));
      await repo.updateStatus(id(4), () => ({ status: "rejected", updatedAt: new Date() }));
      expect(await repo.unreleased(10)).toEqual([id(1), id(4)]);
      await repo.markStockReleased(id(1));
      expect(await repo.unreleased(10)).toEqual([id(4)]);
      await repo.markStockReleased(id(4));
      expect(await repo.unreleased(10)).toEqual([]);
    });

    test("statuses are read for the orders that exist; unknown ids are absent", async () => {
      const repo = await makeRepo();
      await repo.insert(order(1));
      await repo.insert(order(2, { status: "pending" }));
      expect(await repo.statusesOf([id(2), id(7), id(1)])).toEqual(
        new Map([
          [id(2), "pending"],
          [id(1), "placed"],
        ]),
      );
      expect(await repo.statusesOf([])).toEqual(new Map());
    });
  });
}
