// The reservation sweeper: settles placements whose process died or gave up between reserving stock and
// confirming the order, releases stock catalog still holds for ended orders (a release that failed), and
// releases stock catalog holds for orders that never committed (a keyed placement rolled back or cut off).
import type { Logger } from "@shared/log";
import type { OrdersService, ReservationPolicy } from "./orders.service.ts";

/** A running sweeper. */
export interface ReservationSweeper {
  /** Ends the loop after the sweep in flight. */
  stop(): Promise<void>;
}

/**
 * Runs `orders.reconcile`, then `orders.reconcileHeld` page by page to the last, now and then every
 * `sweepMs`, logging what it settled and any failure (the next sweep tries again). Live orders' reservations
 * drop out of the held listing once looked at, so a sweep reads about what was reserved since the last one.
 * Every instance may run one: each step is conditional or idempotent.
 */
export function startReservationSweeper(options: {
  orders: Pick<OrdersService, "reconcile" | "reconcileHeld">;
  policy: ReservationPolicy & { sweepMs: number };
  logger: Pick<Logger, "info" | "warn">;
}): ReservationSweeper {
  const { orders, policy, logger } = options;
  let stopping = false;
  let wake: (() => void) | null = null;
  const loop = (async () => {
    while (!stopping) {
      try {
        const settled = await orders.reconcile(policy);
        if (settled.rejected || settled.released) logger.info(settled, "settled stock reservations");
        let released = 0;
        let after: string | null = null;
        do {
          const page = await orders.reconcileHeld(policy, after);
          released += page.released;
          after = page.next;
        } while (after !== null && !stopping);
        if (released) logger.info({ released }, "released stock held for no live order");
      } catch (err) {
        logger.warn({ err }, "reservation sweep failed; retrying at the next one");
      }
      if (stopping) break;
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, policy.sweepMs);
        wake = () => {
          clearTimeout(timer);
          resolve();
        };
      });
    }
  })();
  return {
    async stop() {
      stopping = true;
      wake?.();
      await loop;
    },
  };
}
