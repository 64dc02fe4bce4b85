import { describe, expect, test } from "bun:test";
import { catalogProductsGet } from "@shared/contracts/catalog.ts";
import { createBreaker, implement, LocalBus } from "@shared/endpoint";
import { AppError } from "@shared/errors";
import { catalogStandIn } from "@shared/testing/catalog-standin.ts";
import { errorCodeOf } from "@shared/testing/errors.ts";
import { catalogClient } from "./orders.catalog.ts";

const mug = "0190d9a4-6b1e-7c3a-9f51-00000000f001";
const unknown = "0190d9a4-6b1e-7c3a-9f51-00000000ffff";
const meta = { requestId: "r-1" };

type CatalogAnswer = (input: { ids: string[] }) => Promise<unknown>;

/** Serves a stand-in `catalog.products.get` on the bus; the answer may break the contract on purpose. */
function catalogOn(bus: LocalBus, answer: CatalogAnswer) {
  const calls = { n: 0 };
  bus.serve([
    implement(catalogProductsGet, (input) => {
      calls.n++;
      return answer(input) as never;
    }),
  ]);
  return calls;
}

describe("the catalog adapter", () => {
  test("returns catalog's products and missing ids through the contract", async () => {
    const bus = new LocalBus();
    catalogOn(bus, async ({ ids }) => ({
      products: [{ id: mug, sku: "MUG", name: "Mug", priceMinor: 1250, currency: "EUR", stock: 3, active: true }],
      missing: ids.filter((id) => id !== mug),
    }));
    const client = catalogClient({
      transport: bus,
      timeoutMs: 300,
      retries: 0,
      breaker: { failureThreshold: 3, openMs: 1000 },
    });
    expect(await client.getProducts([mug, unknown], meta)).toEqual({
      products: [{ id: mug, sku: "MUG", name: "Mug", priceMinor: 1250, currency: "EUR", stock: 3, active: true }],
      missing: [unknown],
    });
  });

  test("turns a catalog error, a malformed answer or a timeout into unavailable", async () => {
    const answers: CatalogAnswer[] = [
      async () => {
        throw new AppError("invalid_argument", "no");
      },
      async () => ({ products: [{ id: mug }], missing: [] }),
      async () => {
        await Bun.sleep(500);
        return { products: [], missing: [] };
      },
    ];
    for (const answer of answers) {
      const bus = new LocalBus();
      catalogOn(bus, answer);
      const client = catalogClient({
        transport: bus,
        timeoutMs: 100,
        retries: 0,
        breaker: { failureThreshold: 9, openMs: 1 },
      });
      const started = performance.now();
      expect(await errorCodeOf(client.getProducts([mug], meta))).toBe("unavailable");
      expect(performance.now() - started).toBeLessThan(300);
    }
  });

  test("retries an outage within its budget, then its breaker stops asking until the pause is over", async () => {
    let now = 0;
    const bus = new LocalBus();
    const client = catalogClient({
      transport: bus,
      timeoutMs: 300,
      retries: 1,
      breaker: createBreaker({ failureThreshold: 2, openMs: 1000, now: () => now }),
    });
    expect(await errorCodeOf(client.getProducts([mug], meta))).toBe("unavailable");
    const calls = catalogOn(bus, async () => ({ products: [], missing: [mug] }));
    expect(await errorCodeOf(client.getProducts([mug], meta))).toBe("unavailable");
    expect(calls.n).toBe(0);
    now += 1000;
    expect(await client.getProducts([mug], meta)).toEqual({ products: [], missing: [mug] });
    expect(calls.n).toBe(1);
  });

  test("lists the orders catalog has held stock for long enough, page by page, leaving out kept ones", async () => {
    const bus = new LocalBus();
    const standIn = catalogStandIn([
      { id: mug, sku: "MUG", name: "Mug", priceMinor: 1250, currency: "EUR", stock: 9, active: true },
    ]);
    bus.serve(standIn.endpoints);
    const client = catalogClient({
      transport: bus,
      timeoutMs: 300,
      retries: 0,
      breaker: { failureThreshold: 3, openMs: 1000 },
    });
    const order = (n: number) => `0190d9a4-6b1e-7c3a-9f51-${(0xe000 + n).toString(16).padStart(12, "0")}`;
    for (const n of [3, 1, 2]) await client.reserve(order(n), [{ productId: mug, quantity: 1 }], meta);
    await client.release(order(2), meta);
    await Bun.sleep(5);
    expect(await client.held(0, null, 1, meta)).toEqual([order(1)]);
    expect(await client.held(0, order(1), 5, meta)).toEqual([order(3)]);
    expect(await client.held(60_000, null, 5, meta)).toEqual([]);
    await client.keep([order(3)], meta);
    expect(await client.held(0, null, 5, meta)).toEqual([order(1)]);
  });
});
