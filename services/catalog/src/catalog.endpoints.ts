import { implement } from "@shared/endpoint";
import { expectedVersionOf } from "./catalog.caching.ts";
import {
  catalogProductsCreate,
  catalogProductsDeactivate,
  catalogProductsGet,
  catalogProductsGetOne,
  catalogProductsList,
  catalogProductsUpdate,
  catalogStockHeld,
  catalogStockKeep,
  catalogStockRelease,
  catalogStockReserve,
  toCatalogProductDto,
  toProductDto,
  toProductPageDto,
  toStockReservationDto,
} from "./catalog.contract.ts";
import type { CatalogService } from "./catalog.service.ts";

/**
 * The catalog endpoints: each contract bound to the service. Reads need no identity (admins see more);
 * `catalog.products.get` and the stock reservation contracts are also served on the bus (NATS or in-process):
 * orders calls them for whoever places or cancels an order.
 */
export function makeCatalogEndpoints(catalog: CatalogService) {
  return {
    productsGet: implement(catalogProductsGet, async (input) => {
      const { products, missing } = await catalog.getMany(input.ids);
      return { products: products.map(toCatalogProductDto), missing };
    }),
    list: implement(catalogProductsList, async (input, ctx) => {
      const { cursor, limit, ids, active, currency, ...range } = input;
      const idList = ids === undefined ? undefined : [...new Set(ids.toLowerCase().split(","))];
      const filter = {
        ...range,
        ...(idList !== undefined ? { ids: idList } : {}),
        ...(active !== undefined ? { active: active === "true" } : {}),
        ...(currency !== undefined ? { currency: currency.toUpperCase() } : {}),
      };
      const pageSize = limit ?? idList?.length ?? 20;
      return toProductPageDto(await catalog.list(ctx.identity, filter, cursor, pageSize));
    }),
    get: implement(catalogProductsGetOne, async (input, ctx) =>
      toProductDto(await catalog.get(ctx.identity, input.id)),
    ),
    create: implement(catalogProductsCreate, async (input, ctx) =>
      toProductDto(await catalog.create(ctx.identity, input)),
    ),
    update: implement(catalogProductsUpdate, async (input, ctx) =>
      toProductDto(await catalog.update(ctx.identity, input.id, input.changes, expectedVersionOf(input.ifMatch))),
    ),
    stockReserve: implement(catalogStockReserve, async (input) =>
      toStockReservationDto(await catalog.reserve(input.orderId, input.lines)),
    ),
    stockRelease: implement(catalogStockRelease, async (input) =>
      toStockReservationDto(await catalog.release(input.orderId)),
    ),
    stockHeld: implement(catalogStockHeld, async (input) => ({
      orderIds: await catalog.heldOrders(input.olderThanMs, input.after ?? null, input.limit),
    })),
    stockKeep: implement(catalogStockKeep, async (input) => ({ kept: await catalog.keep(input.orderIds) })),
    deactivate: implement(catalogProductsDeactivate, async (input, ctx) =>
      toProductDto(await catalog.deactivate(ctx.identity, input.id, expectedVersionOf(input.ifMatch))),
    ),
  };
}

/** The endpoints of the catalog service. */
export type CatalogEndpoints = ReturnType<typeof makeCatalogEndpoints>;
