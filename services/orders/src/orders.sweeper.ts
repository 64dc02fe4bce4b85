// The reservation sweeper: settles placements whose process died or gave up between reserving stock and
// confirming the order, and releases stock catalog still holds for ended orders (a release that failed).
import type { Logger } from "@shared/log";
import type { OrdersService, ReservationPolicy } from "./orders.service.ts";

/** A running sweeper. */
export interface ReservationSweeper {
  /** Ends the loop after the sweep in flight. */
  stop(): Promise<void>;
}

/**
 * Runs `orders.reconcile` now and then every `sweepMs`, logging what it settled and any failure (the next
 * sweep tries again). Every instance may run one: each step is conditional or idempotent.
 */
export function startReservationSweeper(options: {
  orders: Pick<OrdersService, "reconcile">;
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
