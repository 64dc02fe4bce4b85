import { describe, expect, test } from "bun:test";
import { AppError } from "@shared/errors";
import { errorCodeOf } from "@shared/testing/errors.ts";
import type { NewProduct } from "./catalog.model.ts";
import type { CatalogRepo } from "./catalog.service.ts";

/** A test id that sorts by `n`. */
export const productId = (n: number) => `0190d9a4-6b1e-7c3a-9f51-${n.toString(16).padStart(12, "0")}`;

const widget = (n: number, extra: Partial<NewProduct> = {}): NewProduct & { id: string } => ({
  id: productId(n),
  sku: `SKU-${n}`,
  name: `Widget ${n}`,
  priceMinor: 100 * n,
  currency: "EUR",
  stock: n,
  ...extra,
});

/**
 * Registers the behaviour every CatalogRepo must have; run against the in-memory fake and against
 * PostgreSQL so the fake used by service and route tests cannot drift from the real thing.
 */
export function catalogRepoContract(name: string, makeRepo: () => Promise<CatalogRepo>): void {
  describe(`${name} (CatalogRepo contract)`, () => {
    test("a created product reads back equal, at version 1, active, with defaults filled in", async () => {
      const repo = await makeRepo();
      const created = await repo.create({ id: productId(1), sku: "A-1", name: "A", priceMinor: 0, currency: "EUR" });
      expect(created).toMatchObject({ version: 1, active: true, stock: 0, description: "" });
      expect(await repo.get(productId(1))).toEqual(created);
    });

    test("a taken sku in any letter case, or a taken id, is a conflict", async () => {
      const repo = await makeRepo();
      await repo.create(widget(1, { sku: "abc-1" }));
      expect(await errorCodeOf(repo.create(widget(2, { sku: "ABC-1" })))).toBe("conflict");
      expect(await errorCodeOf(repo.create(widget(1, { sku: "other" })))).toBe("conflict");
      expect(await repo.get(productId(2))).toBeNull();
    });

    test("getMany returns the known products and skips unknown ids", async () => {
      const repo = await makeRepo();
      for (const n of [1, 2, 3]) await repo.create(widget(n));
      const found = await repo.getMany([productId(3), productId(99), productId(1)]);
      expect(found.map((p) => p.id).sort()).toEqual([productId(1), productId(3)]);
      expect(await repo.getMany([productId(98)])).toEqual([]);
    });

    test("an update applies the changes, bumps the version and moves updatedAt", async () => {
      const repo = await makeRepo();
      const created = await repo.create(widget(1));
      await Bun.sleep(5);
      const seen: number[] = [];
      const updated = await repo.update(productId(1), (current) => {
        seen.push(current.version);
        return { priceMinor: 999, active: false };
      });
      expect(seen).toEqual([1]);
      expect(updated).toMatchObject({ priceMinor: 999, active: false, version: 2, name: "Widget 1" });
      expect(updated!.updatedAt.getTime()).toBeGreaterThan(created.updatedAt.getTime());
      expect(await repo.get(productId(1))).toEqual(updated);
    });

    test("an update with no changes writes nothing and keeps the version", async () => {
      const repo = await makeRepo();
      const created = await repo.create(widget(1));
      expect(await repo.update(productId(1), () => ({}))).toEqual(created);
      expect((await repo.get(productId(1)))?.version).toBe(1);
    });

    test("an unknown id updates as null without calling decide", async () => {
      const repo = await makeRepo();
      let called = false;
      expect(
        await repo.update(productId(9), () => {
          called = true;
          return { name: "x" };
        }),
      ).toBeNull();
      expect(called).toBe(false);
    });

    test("an error thrown by decide aborts the update and changes nothing", async () => {
      const repo = await makeRepo();
      const created = await repo.create(widget(1));
      const failing = repo.update(productId(1), () => {
        throw new AppError("precondition_failed", "stale");
      });
      expect(await errorCodeOf(failing)).toBe("precondition_failed");
      expect(await repo.get(productId(1))).toEqual(created);
    });

    test("changing the sku to another product's sku is a conflict and changes nothing", async () => {
      const repo = await makeRepo();
      await repo.create(widget(1));
      const second = await repo.create(widget(2));
      expect(await errorCodeOf(repo.update(productId(2), () => ({ sku: "sku-1" })))).toBe("conflict");
      expect(await repo.get(productId(2))).toEqual(second);
    });

    test("concurrent updates both apply, one after the other", async () => {
      const repo = await makeRepo();
      await repo.create(widget(1, { stock: 10 }));
      await Promise.all([1, 2, 3].map(() => repo.update(productId(1), (current) => ({ stock: current.stock - 1 }))));
      expect(await repo.get(productId(1))).toMatchObject({ stock: 7, version: 4 });
    });

    test("listing walks every product once in id order", async () => {
      const repo = await makeRepo();
      for (const n of [4, 2, 5, 1, 3]) await repo.create(widget(n));
      const seen: string[] = [];
      let after: string | null = null;
      for (;;) {
        const page: { id: string }[] = await repo.list({}, after, 2);
        if (page.length === 0) break;
        seen.push(...page.map((p) => p.id));
        after = page.at(-1)!.id;
      }
      expect(seen).toEqual([1, 2, 3, 4, 5].map(productId));
    });

    test("listing filters by name or sku substring in any case, taking % and _ literally", async () => {
      const repo = await makeRepo();
      await repo.create(widget(1, { name: "Red Chair", sku: "CH-RED" }));
      await repo.create(widget(2, { name: "Blue Table", sku: "TB-100%" }));
      await repo.create(widget(3, { name: "Green_Lamp", sku: "LP-1" }));
      const ids = async (q: string) => (await repo.list({ q }, null, 10)).map((p) => p.id);
      expect(await ids("chair")).toEqual([productId(1)]);
      expect(await ids("ch-r")).toEqual([productId(1)]);
      expect(await ids("100%")).toEqual([productId(2)]);
      expect(await ids("%")).toEqual([productId(2)]);
      expect(await ids("n_l")).toEqual([productId(3)]);
      expect(await ids("nothing like it")).toEqual([]);
    });

    test("listing filters by active, currency and an inclusive price range", async () => {
      const repo = await makeRepo();
      await repo.create(widget(1, { priceMinor: 100 }));
      await repo.create(widget(2, { priceMinor: 200, currency: "USD" }));
      await repo.create(widget(3, { priceMinor: 300, active: false }));
      await repo.create(widget(4, { priceMinor: 400 }));
      const ids = async (f: Parameters<CatalogRepo["list"]>[0]) => (await repo.list(f, null, 10)).map((p) => p.id);
      expect(await ids({ active: true })).toEqual([1, 2, 4].map(productId));
      expect(await ids({ active: false })).toEqual([productId(3)]);
      expect(await ids({ currency: "USD" })).toEqual([productId(2)]);
      expect(await ids({ minPrice: 200, maxPrice: 300 })).toEqual([2, 3].map(productId));
      expect(await ids({ minPrice: 200, active: true, currency: "EUR" })).toEqual([productId(4)]);
      expect(await ids({ ids: [productId(4), productId(3), productId(99)] })).toEqual([3, 4].map(productId));
      expect(await ids({ ids: [productId(4), productId(3)], active: true })).toEqual([productId(4)]);
    });

    test("reserving takes every line off stock and bumps the versions; a retry of the order takes nothing", async () => {
      const repo = await makeRepo();
      await repo.create(widget(5));
      await repo.create(widget(7));
      const lines = [
        { productId: productId(7), quantity: 2 },
        { productId: productId(5), quantity: 5 },
      ];
      const first = await repo.reserve(order(1), lines);
      expect(first.kind).toBe("held");
      if (first.kind !== "held") return;
      expect(first.reservation).toEqual({ orderId: order(1), status: "held", lines });
      expect(first.changed.map((p) => [p.id, p.stock, p.version]).sort()).toEqual([
        [productId(5), 0, 2],
        [productId(7), 5, 2],
      ]);
      const again = await repo.reserve(order(1), lines);
      expect(again).toEqual({ kind: "held", reservation: first.reservation, changed: [] });
      expect((await repo.get(productId(5)))?.stock).toBe(0);
      expect((await repo.get(productId(7)))?.stock).toBe(5);
    });

    test("a line that is short, inactive or unknown leaves all stock as it was", async () => {
      const repo = await makeRepo();
      await repo.create(widget(5));
      await repo.create(widget(6, { active: false }));
      for (const short of [
        { productId: productId(5), quantity: 6 },
        { productId: productId(6), quantity: 1 },
        { productId: productId(99), quantity: 1 },
      ]) {
        const outcome = await repo.reserve(order(2), [{ productId: productId(5), quantity: 1 }, short]);
        expect(outcome.kind).toBe("short");
      }
      expect((await repo.get(productId(5)))?.stock).toBe(5);
      // Nothing was recorded for the order, so it may still reserve what is there.
      expect((await repo.reserve(order(2), [{ productId: productId(5), quantity: 5 }])).kind).toBe("held");
    });

    test("releasing gives the stock back once; a second release changes nothing", async () => {
      const repo = await makeRepo();
      await repo.create(widget(5));
      await repo.reserve(order(3), [{ productId: productId(5), quantity: 4 }]);
      const released = await repo.release(order(3));
      expect(released.reservation.status).toBe("released");
      expect(released.changed.map((p) => p.stock)).toEqual([5]);
      expect((await repo.release(order(3))).changed).toEqual([]);
      expect((await repo.get(productId(5)))?.stock).toBe(5);
      expect((await repo.reserve(order(3), [{ productId: productId(5), quantity: 1 }])).kind).toBe("released");
    });

    test("releasing an order that holds nothing records it, so a late reserve takes no stock", async () => {
      const repo = await makeRepo();
      await repo.create(widget(5));
      expect(await repo.release(order(4))).toEqual({
        reservation: { orderId: order(4), status: "released", lines: [] },
        changed: [],
      });
      expect((await repo.reserve(order(4), [{ productId: productId(5), quantity: 1 }])).kind).toBe("released");
      expect((await repo.get(productId(5)))?.stock).toBe(5);
    });

    test("held orders are listed by order id after the cursor, only held ones, only once old enough", async () => {
      const repo = await makeRepo();
      await repo.create(widget(5, { stock: 10 }));
      for (const n of [13, 11, 12, 14]) await repo.reserve(order(n), [{ productId: productId(5), quantity: 1 }]);
      await repo.release(order(12));
      await repo.release(order(15)); // a tombstone holds nothing
      await Bun.sleep(5);
      expect(await repo.heldOrders(0, null, 10)).toEqual([order(11), order(13), order(14)]);
      expect(await repo.heldOrders(0, null, 2)).toEqual([order(11), order(13)]);
      expect(await repo.heldOrders(0, order(13), 2)).toEqual([order(14)]);
      expect(await repo.heldOrders(3_600_000, null, 10)).toEqual([]);
    });

    test("kept reservations are no longer listed as held, and still give their stock back when released", async () => {
      const repo = await makeRepo();
      await repo.create(widget(5, { stock: 10 }));
      for (const n of [1, 2, 3]) await repo.reserve(order(n), [{ productId: productId(5), quantity: 1 }]);
      await repo.release(order(3));
      expect(await repo.keep([order(1), order(3), order(9)])).toBe(1); // released and unknown ids: ignored
      expect(await repo.keep([order(1)])).toBe(0);
      await Bun.sleep(5);
      expect(await repo.heldOrders(0, null, 10)).toEqual([order(2)]);
      expect((await repo.release(order(1))).changed.map((p) => p.stock)).toEqual([9]);
      expect((await repo.get(productId(5)))?.stock).toBe(9);
    });
  });
}

/** A test order id that sorts by `n`. */
export const order = (n: number) => `0190d9a4-6b1e-7c3a-9f51-${(0xe000 + n).toString(16).padStart(12, "0")}`;
