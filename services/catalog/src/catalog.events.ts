// The event catalog publishes: `catalog.product.changed` on core NATS, after the change committed. Losing
// one is harmless (caches expire anyway), so it does not go through an outbox.
import { productChanged } from "@shared/events";
import type { EventBus } from "@shared/events/bus.ts";
import type { ProductChanged } from "./catalog.model.ts";

/** Domain change -> `catalog.product.changed` payload. */
export function productChangedPayload(e: ProductChanged) {
  return { productId: e.product.id, change: e.kind, version: e.product.version };
}

/** The `onProductChanged` listener that publishes on the bus (fire-and-forget; a failure is only logged). */
export function publishProductChanged(
  events: EventBus,
  logger: { warn(obj: object, msg?: string): void },
): (e: ProductChanged) => void {
  return (e) => {
    try {
      events.publishCore(productChanged, productChangedPayload(e));
    } catch (err) {
      logger.warn({ err, productId: e.product.id }, "could not publish catalog.product.changed");
    }
  };
}
