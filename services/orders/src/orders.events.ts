// The events orders publishes, built from the domain order. The repository writes them into the outbox
// inside the same transaction as the change they announce (ADR 0001).
import type { PayloadIn } from "@shared/events/contracts.ts";
import { orderCancelled, orderPlaced } from "@shared/events/contracts.ts";
import type { Order } from "./orders.model.ts";

export { orderCancelled, orderPlaced };

/** Domain order -> `orders.order.placed` payload. */
export function orderPlacedPayload(order: Order): PayloadIn<typeof orderPlaced> {
  return {
    orderId: order.id,
    userId: order.userId,
    totalMinor: order.totalMinor,
    currency: order.currency,
    lines: order.lines.map((l) => ({ productId: l.productId, quantity: l.quantity, unitPriceMinor: l.unitPriceMinor })),
    placedAt: order.createdAt.toISOString(),
  };
}

/** Domain order (after the change) -> `orders.order.cancelled` payload. */
export function orderCancelledPayload(order: Order): PayloadIn<typeof orderCancelled> {
  return { orderId: order.id, userId: order.userId, cancelledAt: order.updatedAt.toISOString() };
}
