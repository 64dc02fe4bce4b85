import { describe, expect, test } from "bun:test";
import { errorCodeOf } from "@shared/testing/errors.ts";
import type { Actor, NewProduct, ProductChanged } from "./catalog.model.ts";
import { MemoryCatalogRepo } from "./catalog.repo.memory.ts";
import { CatalogService, decodeCursor, encodeCursor } from "./catalog.service.ts";

const admin: Actor = { userId: "00000000-0000-4000-8000-000000000001", roles: ["admin"] };
const alice: Actor = { userId: "00000000-0000-4000-8000-0000000000a1", roles: ["user"] };

const chair: NewProduct = { sku: "CHAIR-1", name: "Chair", priceMinor: 4900, currency: "EUR", stock: 3 };

function setup() {
  const events: ProductChanged[] = [];
  const repo = new MemoryCatalogRepo();
  const service = new CatalogService(repo, { onProductChanged: (e) => events.push(e) });
  return { service, repo, events };
}

describe("the catalog service", () => {
  test("lets only admins create products; anonymous callers are unauthenticated", async () => {
    const { service } = setup();
    expect(await errorCodeOf(service.create(null, chair))).toBe("unauthenticated");
    expect(await errorCodeOf(service.create(alice, chair))).toBe("permission_denied");
    const created = await service.create(admin, chair);
    expect(created).toMatchObject({ sku: "CHAIR-1", version: 1, active: true, description: "" });
    expect(created.id).toMatch(/^[0-9a-f-]{36}$/);
  });

  test("refuses negative prices and stock, fractions and unknown currencies whatever the transport", async () => {
    const { service, repo } = setup();
    for (const bad of [
      { priceMinor: -1 },
      { priceMinor: 1.5 },
      { stock: -2 },
      { currency: "XYZ" },
      { currency: "eur" },
      { sku: "has space" },
      { name: "   " },
    ]) {
      expect(await errorCodeOf(service.create(admin, { ...chair, ...bad }))).toBe("invalid_argument");
    }
    expect(await repo.list({}, null, 10)).toEqual([]);
  });

  test("a duplicate sku in another case is a conflict", async () => {
    const { service } = setup();
    await service.create(admin, chair);
    expect(await errorCodeOf(service.create(admin, { ...chair, sku: "chair-1" }))).toBe("conflict");
  });

  test("hides inactive products from everyone but admins", async () => {
    const { service } = setup();
    const p = await service.create(admin, { ...chair, active: false });
    expect(await errorCodeOf(service.get(null, p.id))).toBe("not_found");
    expect(await errorCodeOf(service.get(alice, p.id))).toBe("not_found");
    expect((await service.get(admin, p.id)).active).toBe(false);
    expect((await service.list(alice, {}, undefined, 10)).items).toEqual([]);
    expect((await service.list(admin, {}, undefined, 10)).items.map((x) => x.id)).toEqual([p.id]);
    expect(await errorCodeOf(service.list(null, { active: false }, undefined, 10))).toBe("permission_denied");
  });

  test("an update bumps the version once, and setting the same values changes nothing", async () => {
    const { service, events } = setup();
    const p = await service.create(admin, chair);
    const updated = await service.update(admin, p.id, { priceMinor: 5900 });
    expect(updated).toMatchObject({ priceMinor: 5900, version: 2 });
    const same = await service.update(admin, p.id, { priceMinor: 5900, name: "Chair" });
    expect(same.version).toBe(2);
    expect(events.map((e) => [e.kind, e.product.version])).toEqual([
      ["created", 1],
      ["updated", 2],
    ]);
  });

  test("an update with a stale expected version fails and changes nothing", async () => {
    const { service } = setup();
    const p = await service.create(admin, chair);
    await service.update(admin, p.id, { stock: 9 });
    const stale = service.update(admin, p.id, { stock: 1 }, { kind: "one-of", versions: [1] });
    expect(await errorCodeOf(stale)).toBe("precondition_failed");
    expect((await service.get(admin, p.id)).stock).toBe(9);
    const fresh = await service.update(admin, p.id, { stock: 1 }, { kind: "one-of", versions: [1, 2] });
    expect(fresh).toMatchObject({ stock: 1, version: 3 });
    expect((await service.update(admin, p.id, { stock: 2 }, { kind: "any" })).version).toBe(4);
  });

  test("an update needs at least one field and a known id", async () => {
    const { service } = setup();
    const p = await service.create(admin, chair);
    expect(await errorCodeOf(service.update(admin, p.id, {}))).toBe("invalid_argument");
    expect(await errorCodeOf(service.update(admin, "00000000-0000-4000-8000-00000000ffff", { stock: 1 }))).toBe(
      "not_found",
    );
    expect(await errorCodeOf(service.update(alice, p.id, { stock: 1 }))).toBe("permission_denied");
  });

  test("deactivating is idempotent and tells the listener once", async () => {
    const { service, events } = setup();
    const p = await service.create(admin, chair);
    expect(await service.deactivate(admin, p.id)).toMatchObject({ active: false, version: 2 });
    expect(await service.deactivate(admin, p.id)).toMatchObject({ active: false, version: 2 });
    expect(events.map((e) => e.kind)).toEqual(["created", "deactivated"]);
    expect(await errorCodeOf(service.deactivate(alice, p.id))).toBe("permission_denied");
  });

  test("getMany returns products in the order asked, inactive ones included, unknown ones as missing", async () => {
    const { service } = setup();
    const a = await service.create(admin, chair);
    const b = await service.create(admin, { ...chair, sku: "B", active: false });
    const unknown = "00000000-0000-4000-8000-00000000ffff";
    const got = await service.getMany([b.id, unknown, a.id, b.id.toUpperCase()]);
    expect(got.products.map((p) => [p.id, p.active])).toEqual([
      [b.id, false],
      [a.id, true],
    ]);
    expect(got.missing).toEqual([unknown]);
    expect(await errorCodeOf(service.getMany([]))).toBe("invalid_argument");
  });

  test("pages through filtered products, and refuses a malformed cursor or an inverted price range", async () => {
    const { service } = setup();
    for (let n = 0; n < 7; n++) await service.create(admin, { ...chair, sku: `S${n}`, priceMinor: n * 100 });
    const seen: number[] = [];
    let cursor: string | undefined;
    do {
      const page = await service.list(alice, { minPrice: 200 }, cursor, 2);
      seen.push(...page.items.map((p) => p.priceMinor));
      cursor = page.nextCursor ?? undefined;
    } while (cursor);
    expect(seen).toEqual([200, 300, 400, 500, 600]);
    expect(await errorCodeOf(service.list(alice, {}, "bm9wZQ", 2))).toBe("invalid_argument");
    expect(await errorCodeOf(service.list(alice, { minPrice: 5, maxPrice: 4 }, undefined, 2))).toBe("invalid_argument");
  });

  test("cursors round-trip and stay opaque", () => {
    const id = "0190d9a4-6b1e-7c3a-9f51-2b9d3c4e5f60";
    expect(decodeCursor(encodeCursor(id))).toBe(id);
    expect(encodeCursor(id)).not.toContain(id);
  });
});

describe("reserving stock", () => {
  const order = "0190d9a4-6b1e-7c3a-9f51-00000000e001";

  test("a reservation and its release each announce the product as updated, a retry announces nothing", async () => {
    const { service, events } = setup();
    const p = await service.create(admin, chair);
    events.length = 0;
    await service.reserve(order, [{ productId: p.id, quantity: 2 }]);
    await service.reserve(order, [{ productId: p.id, quantity: 2 }]);
    expect(events.map((e) => [e.kind, e.product.stock, e.product.version])).toEqual([["updated", 1, 2]]);
    await service.release(order);
    await service.release(order);
    expect(events.map((e) => [e.kind, e.product.stock])).toEqual([
      ["updated", 1],
      ["updated", 3],
    ]);
  });

  test("every line that cannot be held is named, in the caller's line order, and nothing is taken", async () => {
    const { service, repo } = setup();
    const p = await service.create(admin, chair);
    const gone = await service.create(admin, { ...chair, sku: "GONE", active: false });
    const unknown = "0190d9a4-6b1e-7c3a-9f51-00000000ffff";
    const refused = await service
      .reserve(order, [
        { productId: p.id, quantity: 4 },
        { productId: gone.id, quantity: 1 },
        { productId: unknown, quantity: 1 },
      ])
      .catch((e: { code: string; fields: unknown }) => e);
    expect(refused).toMatchObject({
      code: "conflict",
      fields: [
        { path: "/lines/0/quantity", message: "only 3 in stock" },
        { path: "/lines/1/productId", message: "the product is not for sale" },
        { path: "/lines/2/productId", message: "no such product" },
      ],
    });
    expect((await repo.get(p.id))?.stock).toBe(3);
  });

  test("a released order cannot reserve again, and duplicate products or no lines are invalid", async () => {
    const { service } = setup();
    const p = await service.create(admin, chair);
    await service.release(order);
    expect(await errorCodeOf(service.reserve(order, [{ productId: p.id, quantity: 1 }]))).toBe("conflict");
    const twice = [
      { productId: p.id, quantity: 1 },
      { productId: p.id, quantity: 1 },
    ];
    expect(await errorCodeOf(service.reserve(order, twice))).toBe("invalid_argument");
    expect(await errorCodeOf(service.reserve(order, []))).toBe("invalid_argument");
  });
});
