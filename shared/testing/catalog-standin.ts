// A stand-in for catalog's bus contracts, for the tests and benchmarks of its callers (orders): products
// from an in-memory table, stock held and released per order id the way catalog does it.
import {
  type CatalogProductDto,
  catalogProductsGet,
  catalogStockHeld,
  catalogStockKeep,
  catalogStockRelease,
  catalogStockReserve,
  type StockReservationDto,
} from "../contracts/catalog.ts";
import { type Endpoint, implement } from "../endpoint/contract.ts";
import { AppError } from "../errors/index.ts";

/** The stand-in's state and its endpoints (serve them with `serveOverNats`). */
export interface CatalogStandIn {
  products: Map<string, CatalogProductDto>;
  reservations: Map<string, StockReservationDto>;
  /** Calls answered so far, per contract name. */
  calls: Record<string, number>;
  /** Added before every answer (a slow catalog). */
  delayMs: number;
  endpoints: Endpoint[];
}

/**
 * Serves `catalog.products.get` and the `catalog.stock.*` contracts (reserve, release, held, keep) from
 * memory: every line or none, idempotent by order id, a late reserve of a released order refused.
 * @example const catalog = catalogStandIn([mug]); await serveOverNats({ nc, service, endpoints: catalog.endpoints, logger });
 */
export function catalogStandIn(products: readonly CatalogProductDto[]): CatalogStandIn {
  const state: CatalogStandIn = {
    products: new Map(products.map((p) => [p.id, { ...p }])),
    reservations: new Map(),
    calls: {},
    delayMs: 0,
    endpoints: [],
  };
  const heldSince = new Map<string, number>();
  const kept = new Set<string>();
  const answer = async (name: string) => {
    state.calls[name] = (state.calls[name] ?? 0) + 1;
    if (state.delayMs) await Bun.sleep(state.delayMs);
  };
  state.endpoints = [
    implement(catalogProductsGet, async ({ ids }) => {
      await answer(catalogProductsGet.name);
      return {
        products: ids.flatMap((id) => (state.products.has(id) ? [state.products.get(id)!] : [])),
        missing: ids.filter((id) => !state.products.has(id)),
      };
    }),
    implement(catalogStockReserve, async ({ orderId, lines }) => {
      await answer(catalogStockReserve.name);
      const seen = state.reservations.get(orderId);
      if (seen?.status === "released") throw new AppError("conflict", `the stock of order ${orderId} was released`);
      if (seen) return seen;
      const fields = lines.flatMap((l, i) => {
        const p = state.products.get(l.productId);
        return p?.active && p.stock >= l.quantity
          ? []
          : [{ path: `/lines/${i}/quantity`, message: `only ${p?.stock ?? 0} in stock` }];
      });
      if (fields.length) throw new AppError("conflict", "Some lines cannot be reserved", { fields });
      for (const l of lines) state.products.get(l.productId)!.stock -= l.quantity;
      const held = { orderId, status: "held" as const, lines };
      state.reservations.set(orderId, held);
      heldSince.set(orderId, Date.now());
      return held;
    }),
    implement(catalogStockRelease, async ({ orderId }) => {
      await answer(catalogStockRelease.name);
      const seen = state.reservations.get(orderId);
      if (seen?.status === "released") return seen;
      for (const l of seen?.lines ?? []) {
        const p = state.products.get(l.productId);
        if (p) p.stock += l.quantity;
      }
      const released = { orderId, status: "released" as const, lines: seen?.lines ?? [] };
      state.reservations.set(orderId, released);
      return released;
    }),
    implement(catalogStockHeld, async ({ olderThanMs, after, limit }) => {
      await answer(catalogStockHeld.name);
      const madeBy = Date.now() - olderThanMs;
      const orderIds = [...state.reservations.values()]
        .filter((r) => r.status === "held" && !kept.has(r.orderId) && (heldSince.get(r.orderId) ?? 0) <= madeBy)
        .map((r) => r.orderId)
        .filter((id) => after === undefined || id > after)
        .sort()
        .slice(0, limit);
      return { orderIds };
    }),
    implement(catalogStockKeep, async ({ orderIds }) => {
      await answer(catalogStockKeep.name);
      const fresh = orderIds.filter((id) => state.reservations.get(id)?.status === "held" && !kept.has(id));
      for (const id of fresh) kept.add(id);
      return { kept: new Set(fresh).size };
    }),
  ];
  return state;
}
