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
 * Runs `orders.reconcile` and one page of `orders.reconcileHeld` now and then every `sweepMs`, logging
 * what it settled and any failure (the next sweep tries again). The held pages go round: after the last
 * one the next sweep starts again from the first. Every instance may run one: each step is conditional or
 * idempotent.
 */
export function startReservationSweeper(options: {
  orders: Pick<OrdersService, "reconcile" | "reconcileHeld">;
  policy: ReservationPolicy & { sweepMs: number };
  logger: Pick<Logger, "info" | "warn">;
}): ReservationSweeper {
  const { orders, policy, logger } = options;
  let stopping = false;
  let wake: (() => void) | null = null;
  let heldAfter: string | null = null;
  const loop = (async () => {
    while (!stopping) {
      try {
        const settled = await orders.reconcile(policy);
        if (settled.rejected || settled.released) logger.info(settled, "settled stock reservations");
        const orphans = await orders.reconcileHeld(policy, heldAfter);
        heldAfter = orphans.next;
        if (orphans.released) logger.info({ released: orphans.released }, "released stock held for no live order");
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
