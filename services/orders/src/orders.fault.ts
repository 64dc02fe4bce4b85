// A test-only fault point for the kill -9 test of stock reservations: with the variable set to 1 the
// process kills itself right after catalog reserved an order's stock and before the order is confirmed.
// Unset (always, outside that test) the catalog client is returned as it is.
import type { CatalogClient } from "./orders.service.ts";

/** The environment variable that arms the fault point. */
export const killAfterReserveVar = "ORDERS_TEST_KILL_AFTER_RESERVE";

/** The catalog client, or (with the variable set to 1) one whose process dies after each reservation. */
export function withKillAfterReserve(catalog: CatalogClient, env: Record<string, string | undefined>): CatalogClient {
  if (env[killAfterReserveVar] !== "1") return catalog;
  return {
    getProducts: (ids, meta) => catalog.getProducts(ids, meta),
    release: (orderId, meta) => catalog.release(orderId, meta),
    held: (olderThanMs, after, limit, meta) => catalog.held(olderThanMs, after, limit, meta),
    keep: (orderIds, meta) => catalog.keep(orderIds, meta),
    async reserve(orderId, lines, meta) {
      await catalog.reserve(orderId, lines, meta);
      process.kill(process.pid, "SIGKILL");
      await new Promise(() => {}); // never confirm: the signal ends the process here
    },
  };
}
