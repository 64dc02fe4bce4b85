import { describe, expect, test } from "bun:test";
import { AppError } from "@shared/errors";
import { MemoryCatalog, product } from "./orders.catalog.memory.ts";
import type { Actor } from "./orders.model.ts";
import { MemoryOrdersRepo } from "./orders.repo.memory.ts";
import { OrdersService } from "./orders.service.ts";
import { canTransition } from "./orders.state.ts";

const admin: Actor = { userId: "00000000-0000-4000-8000-000000000001", roles: ["admin"] };
const alice: Actor = { userId: "00000000-0000-4000-8000-0000000000a1", roles: ["user"] };
const bob: Actor = { userId: "00000000-0000-4000-8000-0000000000b0", roles: ["user"] };
const mug = "00000000-0000-4000-8000-00000000f001";
const tea = "00000000-0000-4000-8000-00000000f002";
const gone = "00000000-0000-4000-8000-00000000f003";
const usd = "00000000-0000-4000-8000-00000000f004";
const meta = { requestId: "req-1" };

async function failure(p: Promise<unknown>): Promise<{ code: string; fields?: { path: string; message: string }[] }> {
  try {
    await p;
    return { code: "no error" };
  } catch (err) {
    if (err instanceof AppError) return { code: err.code, fields: err.fields };
    return { code: String(err) };
  }
}

function setup() {
  const repo = new MemoryOrdersRepo();
  const catalog = new MemoryCatalog([
    product(mug, { priceMinor: 1250, stock: 10 }),
    product(tea, { priceMinor: 399, stock: 3 }),
    product(gone, { active: false }),
    product(usd, { currency: "USD" }),
  ]);
  let clock = Date.UTC(2025, 0, 1);
  const service = new OrdersService(repo, catalog, { pendingTimeoutMs: 30_000 }, undefined, () => new Date(clock++));
  return { repo, catalog, service };
}

describe("placing an order", () => {
  test("stores catalog's current prices, the currency and the total for the caller", async () => {
    const { service, repo } = setup();
    const order = await service.place(
      alice,
      [
        { productId: mug, quantity: 2 },
        { productId: tea, quantity: 3 },
      ],
      meta,
    );
    expect(order).toMatchObject({
      userId: alice.userId,
      status: "placed",
      currency: "EUR",
      totalMinor: 2 * 1250 + 3 * 399,
    });
    expect(order.lines.map((l) => [l.productId, l.quantity, l.unitPriceMinor])).toEqual([
      [mug, 2, 1250],
      [tea, 3, 399],
    ]);
    expect(await repo.get(order.id)).toEqual(order);
  });

  test("keeps the price it was placed at when catalog's price changes later", async () => {
    const { service, catalog } = setup();
    const order = await service.place(alice, [{ productId: mug, quantity: 1 }], meta);
    catalog.put(product(mug, { priceMinor: 9999, stock: 10 }));
    expect((await service.get(alice, order.id)).lines[0]!.unitPriceMinor).toBe(1250);
    const second = await service.place(alice, [{ productId: mug, quantity: 1 }], meta);
    expect(second.lines[0]!.unitPriceMinor).toBe(9999);
  });

  test("asks catalog once for every product, passing the request id along", async () => {
    const { service, catalog } = setup();
    await service.place(
      alice,
      [
        { productId: mug, quantity: 1 },
        { productId: tea, quantity: 1 },
      ],
      meta,
    );
    expect(catalog.calls).toEqual([{ ids: [mug, tea], meta }]);
  });

  test("refuses unknown, inactive and short-of-stock products as a conflict naming every line", async () => {
    const { service, repo } = setup();
    const unknown = "00000000-0000-4000-8000-00000000ffff";
    const result = await failure(
      service.place(
        alice,
        [
          { productId: mug, quantity: 1 },
          { productId: unknown, quantity: 1 },
          { productId: gone, quantity: 1 },
          { productId: tea, quantity: 4 },
        ],
        meta,
      ),
    );
    expect(result.code).toBe("conflict");
    expect(result.fields).toEqual([
      { path: "/lines/1/productId", message: "no such product" },
      { path: "/lines/2/productId", message: "the product is not for sale" },
      { path: "/lines/3/quantity", message: "only 3 in stock" },
    ]);
    expect(repo.size).toBe(0);
  });

  test("refuses lines priced in several currencies", async () => {
    const { service, repo } = setup();
    const result = await failure(
      service.place(
        alice,
        [
          { productId: mug, quantity: 1 },
          { productId: usd, quantity: 1 },
        ],
        meta,
      ),
    );
    expect(result.code).toBe("conflict");
    expect(repo.size).toBe(0);
  });

  test("refuses duplicate products, no lines, too many lines and quantities out of range before calling catalog", async () => {
    const { service, catalog } = setup();
    const cases = [
      [
        { productId: mug, quantity: 1 },
        { productId: mug, quantity: 2 },
      ],
      [],
      Array.from({ length: 101 }, (_, i) => ({
        productId: `00000000-0000-4000-8000-${String(i).padStart(12, "0")}`,
        quantity: 1,
      })),
      [{ productId: mug, quantity: 0 }],
      [{ productId: mug, quantity: 1001 }],
      [{ productId: mug, quantity: 1.5 }],
    ];
    for (const lines of cases) expect((await failure(service.place(alice, lines, meta))).code).toBe("invalid_argument");
    expect(catalog.calls).toEqual([]);
  });

  test("answers unavailable and writes nothing when catalog cannot answer", async () => {
    const { service, catalog, repo } = setup();
    catalog.down = true;
    expect((await failure(service.place(alice, [{ productId: mug, quantity: 1 }], meta))).code).toBe("unavailable");
    expect(repo.size).toBe(0);
  });
});

describe("reading and listing orders", () => {
  test("the owner and admins see an order; anyone else gets not_found, as for an unknown id", async () => {
    const { service } = setup();
    const order = await service.place(alice, [{ productId: mug, quantity: 1 }], meta);
    expect((await service.get(alice, order.id)).id).toBe(order.id);
    expect((await service.get(admin, order.id)).id).toBe(order.id);
    expect((await failure(service.get(bob, order.id))).code).toBe("not_found");
    expect((await failure(service.get(admin, "00000000-0000-4000-8000-00000000dddd"))).code).toBe("not_found");
  });

  test("a user lists only their own orders, newest first, page by page", async () => {
    const { service } = setup();
    const mine = [];
    for (let i = 0; i < 3; i++) mine.push(await service.place(alice, [{ productId: mug, quantity: 1 }], meta));
    await service.place(bob, [{ productId: mug, quantity: 1 }], meta);
    const first = await service.list(alice, { limit: 2 });
    expect(first.items.map((o) => o.id)).toEqual([mine[2]!.id, mine[1]!.id]);
    const second = await service.list(alice, { limit: 2, cursor: first.nextCursor! });
    expect(second.items.map((o) => o.id)).toEqual([mine[0]!.id]);
    expect(second.nextCursor).toBeNull();
  });

  test("only admins list every user's or another user's orders", async () => {
    const { service } = setup();
    await service.place(alice, [{ productId: mug, quantity: 1 }], meta);
    await service.place(bob, [{ productId: mug, quantity: 1 }], meta);
    expect((await failure(service.list(alice, { limit: 10, scope: "all" }))).code).toBe("permission_denied");
    expect((await failure(service.list(alice, { limit: 10, userId: bob.userId }))).code).toBe("permission_denied");
    expect((await service.list(alice, { limit: 10, userId: alice.userId })).items).toHaveLength(1);
    expect((await service.list(admin, { limit: 10, scope: "all" })).items).toHaveLength(2);
    expect((await service.list(admin, { limit: 10, userId: bob.userId })).items.map((o) => o.userId)).toEqual([
      bob.userId,
    ]);
    expect((await service.list(admin, { limit: 10 })).items).toEqual([]);
  });

  test("filters by status and rejects a malformed cursor", async () => {
    const { service } = setup();
    const a = await service.place(alice, [{ productId: mug, quantity: 1 }], meta);
    await service.place(alice, [{ productId: mug, quantity: 1 }], meta);
    await service.cancel(alice, a.id);
    expect((await service.list(alice, { limit: 10, status: "cancelled" })).items.map((o) => o.id)).toEqual([a.id]);
    expect((await failure(service.list(alice, { limit: 10, cursor: "bm9wZQ" }))).code).toBe("invalid_argument");
  });
});

describe("the order state machine", () => {
  test("allows placed -> paid -> shipped -> delivered and placed -> cancelled only", () => {
    const statuses = ["placed", "paid", "shipped", "delivered", "cancelled"] as const;
    const allowed = statuses.flatMap((from) =>
      statuses.filter((to) => canTransition(from, to)).map((to) => `${from}->${to}`),
    );
    expect(allowed).toEqual(["placed->paid", "placed->cancelled", "paid->shipped", "shipped->delivered"]);
  });

  test("the owner cancels a placed order; cancelling it again is a conflict", async () => {
    const { service } = setup();
    const order = await service.place(alice, [{ productId: mug, quantity: 1 }], meta);
    const cancelled = await service.cancel(alice, order.id);
    expect(cancelled.status).toBe("cancelled");
    expect(cancelled.updatedAt.getTime()).toBeGreaterThan(order.updatedAt.getTime());
    expect((await failure(service.cancel(alice, order.id))).code).toBe("conflict");
  });

  test("a paid order cannot be cancelled, and a delivered one is final", async () => {
    const { service } = setup();
    const order = await service.place(alice, [{ productId: mug, quantity: 1 }], meta);
    await service.advance(admin, order.id, "paid");
    expect((await failure(service.cancel(alice, order.id))).code).toBe("conflict");
    expect((await failure(service.cancel(admin, order.id))).code).toBe("conflict");
    await service.advance(admin, order.id, "shipped");
    await service.advance(admin, order.id, "delivered");
    expect((await failure(service.advance(admin, order.id, "placed"))).code).toBe("conflict");
    expect((await service.get(alice, order.id)).status).toBe("delivered");
  });

  test("another user cannot cancel (not_found, unchanged); an admin can; only admins advance", async () => {
    const { service } = setup();
    const order = await service.place(alice, [{ productId: mug, quantity: 1 }], meta);
    expect((await failure(service.cancel(bob, order.id))).code).toBe("not_found");
    expect((await failure(service.advance(alice, order.id, "paid"))).code).toBe("permission_denied");
    expect((await service.get(alice, order.id)).status).toBe("placed");
    expect((await service.cancel(admin, order.id)).status).toBe("cancelled");
  });
});

describe("holding stock for orders", () => {
  const policy = { pendingTimeoutMs: 30_000, batch: 100 };

  test("placing holds each line's quantity in catalog, keyed by the order id", async () => {
    const { service, catalog } = setup();
    const order = await service.place(alice, [{ productId: mug, quantity: 4 }], meta);
    expect(order.status).toBe("placed");
    expect(catalog.products.get(mug)!.stock).toBe(6);
    expect(catalog.reservations.get(order.id)).toEqual({ lines: [{ productId: mug, quantity: 4 }], released: false });
  });

  test("50 concurrent placements for 5 in stock place exactly 5 and reject the rest with conflict", async () => {
    const { service, catalog, repo } = setup();
    catalog.put(product(mug, { priceMinor: 1250, stock: 5 }));
    const results = await Promise.allSettled(
      Array.from({ length: 50 }, () => service.place(alice, [{ productId: mug, quantity: 1 }], meta)),
    );
    expect(results.filter((r) => r.status === "fulfilled").length).toBe(5);
    expect(catalog.products.get(mug)!.stock).toBe(0);
    const placedOrders = await repo.list({ status: "placed" }, null, 100);
    expect(placedOrders.length).toBe(5);
  });

  test("a reservation refused after pricing leaves the order rejected, released, and answers conflict", async () => {
    const { service, catalog, repo } = setup();
    const reserve = catalog.reserve.bind(catalog);
    catalog.reserve = async (orderId, lines, m) => {
      catalog.products.get(mug)!.stock = 1; // another buyer took the rest meanwhile
      return reserve(orderId, lines, m);
    };
    const result = await failure(service.place(alice, [{ productId: mug, quantity: 2 }], meta));
    expect(result).toEqual({ code: "conflict", fields: [{ path: "/lines/0/quantity", message: "only 1 in stock" }] });
    const [order] = await repo.list({ userId: alice.userId }, null, 10);
    expect(order!.status).toBe("rejected");
    expect(catalog.reservations.get(order!.id)).toEqual({ lines: [], released: true });
    expect(await repo.unreleased(10)).toEqual([]);
  });

  test("a catalog that cannot reserve in time answers unavailable; the order is rejected and its stock released", async () => {
    const { service, catalog, repo } = setup();
    catalog.reserveDown = true;
    expect((await failure(service.place(alice, [{ productId: mug, quantity: 2 }], meta))).code).toBe("unavailable");
    const [order] = await repo.list({ userId: alice.userId }, null, 10);
    expect(order!.status).toBe("rejected");
    // A reserve that was still on its way finds the order released and takes nothing.
    catalog.reserveDown = false;
    expect((await failure(catalog.reserve(order!.id, [{ productId: mug, quantity: 2 }], meta))).code).toBe("conflict");
    expect(catalog.products.get(mug)!.stock).toBe(10);
  });

  test("cancelling gives the stock back; with catalog down the order is cancelled and the sweeper releases later", async () => {
    const { service, catalog, repo } = setup();
    const first = await service.place(alice, [{ productId: mug, quantity: 3 }], meta);
    await service.cancel(alice, first.id, meta);
    expect(catalog.products.get(mug)!.stock).toBe(10);
    const second = await service.place(alice, [{ productId: mug, quantity: 3 }], meta);
    catalog.down = true;
    expect((await service.cancel(alice, second.id, meta)).status).toBe("cancelled");
    expect(catalog.products.get(mug)!.stock).toBe(7);
    expect(await repo.unreleased(10)).toEqual([second.id]);
    catalog.down = false;
    expect(await service.reconcile(policy)).toEqual({ rejected: 0, released: 1 });
    expect(catalog.products.get(mug)!.stock).toBe(10);
    expect(await service.reconcile(policy)).toEqual({ rejected: 0, released: 0 });
  });

  test("the sweeper rejects a placement left pending past the timeout and releases what it held", async () => {
    const { service, catalog, repo } = setup();
    // A process that died between reserving and confirming: the order pending, its stock held.
    const at = new Date(Date.UTC(2024, 11, 31));
    const line = { productId: mug, sku: "M", name: "Mug", quantity: 4, unitPriceMinor: 1250 };
    const stuck = { id: crypto.randomUUID(), userId: alice.userId, status: "pending" as const, currency: "EUR" };
    await repo.insert({ ...stuck, totalMinor: 5000, lines: [line], createdAt: at, updatedAt: at });
    await catalog.reserve(stuck.id, [{ productId: mug, quantity: 4 }], meta);
    const fresh = await service.place(alice, [{ productId: mug, quantity: 1 }], meta);
    expect(catalog.products.get(mug)!.stock).toBe(5);
    expect(await service.reconcile(policy)).toEqual({ rejected: 1, released: 1 });
    expect((await repo.get(stuck.id))!.status).toBe("rejected");
    expect((await repo.get(fresh.id))!.status).toBe("placed");
    expect(catalog.products.get(mug)!.stock).toBe(9);
  });

  test("the sweep of held stock releases it for orders that do not exist or ended, page by page, and marks live ones kept", async () => {
    const { service, catalog, repo } = setup();
    const placed = await service.place(alice, [{ productId: mug, quantity: 1 }], meta);
    const cancelled = await service.place(alice, [{ productId: mug, quantity: 1 }], meta);
    await repo.updateStatus(cancelled.id, () => ({ status: "cancelled", updatedAt: new Date() })); // release lost
    const at = new Date();
    const stuck = { id: crypto.randomUUID(), userId: alice.userId, status: "pending" as const, currency: "EUR" };
    const line = { productId: mug, sku: "M", name: "Mug", quantity: 1, unitPriceMinor: 1250 };
    await repo.insert({ ...stuck, totalMinor: 1250, lines: [line], createdAt: at, updatedAt: at });
    await catalog.reserve(stuck.id, [{ productId: mug, quantity: 1 }], meta);
    const ghost = crypto.randomUUID(); // an order whose keyed transaction rolled back after catalog reserved
    await catalog.reserve(ghost, [{ productId: mug, quantity: 1 }], meta);
    expect(catalog.products.get(mug)!.stock).toBe(6);

    expect(await service.reconcileHeld(policy, null)).toEqual({ released: 0, next: null }); // all too young
    const now = { ...policy, pendingTimeoutMs: 0 };
    let released = 0;
    let pages = 0;
    let after: string | null = null;
    do {
      const page = await service.reconcileHeld({ ...now, batch: 1 }, after);
      released += page.released;
      after = page.next;
      pages++;
    } while (after !== null);
    expect({ released, pages }).toEqual({ released: 2, pages: 5 });
    expect(catalog.products.get(mug)!.stock).toBe(8);
    expect(catalog.reservations.get(ghost)!.released).toBe(true);
    expect(catalog.reservations.get(cancelled.id)!.released).toBe(true);
    expect(await repo.unreleased(10)).toEqual([]);
    // The placed order keeps its stock; the pending one is the other sweep's to reject.
    expect(catalog.reservations.get(placed.id)!.released).toBe(false);
    expect(catalog.reservations.get(stuck.id)!.released).toBe(false);
    // Marked kept, the placed order is not listed again; the pending one is, until it is settled.
    expect(await catalog.held(0, null, 10, meta)).toEqual([stuck.id]);
  });

  test("a placement that reserved too slowly to confirm safely is rejected, released, and answers unavailable", async () => {
    const { catalog, repo } = setup();
    let clock = Date.UTC(2025, 0, 1);
    const service = new OrdersService(repo, catalog, policy, undefined, () => new Date(clock));
    const reserve = catalog.reserve.bind(catalog);
    catalog.reserve = async (orderId, lines, m) => {
      await reserve(orderId, lines, m);
      clock += policy.pendingTimeoutMs / 2 + 1;
    };
    expect((await failure(service.place(alice, [{ productId: mug, quantity: 2 }], meta))).code).toBe("unavailable");
    const [order] = await repo.list({ userId: alice.userId }, null, 10);
    expect(order!.status).toBe("rejected");
    expect(catalog.products.get(mug)!.stock).toBe(10);
    expect(await repo.unreleased(10)).toEqual([]);
  });

  test("an order the sweeper rejected while its request was still reserving is not placed", async () => {
    const { service, catalog, repo } = setup();
    const reserve = catalog.reserve.bind(catalog);
    catalog.reserve = async (orderId, lines, m) => {
      await reserve(orderId, lines, m);
      await service.reconcile({ pendingTimeoutMs: -60_000, batch: 10 }); // the request stalled past the timeout
    };
    expect((await failure(service.place(alice, [{ productId: mug, quantity: 2 }], meta))).code).toBe("unavailable");
    const [order] = await repo.list({ userId: alice.userId }, null, 10);
    expect(order!.status).toBe("rejected");
    expect(catalog.products.get(mug)!.stock).toBe(10);
  });
});
