// The events the notifier consumes, decoded from their wire contracts into the service's NotifierEvent.

import { AppError } from "@shared/errors";
import { orderCancelled, orderPlaced, type PayloadOf, userRegistered } from "@shared/events";
import type { NotifierEvent } from "./notifier.model.ts";

/** The contracts the notifier subscribes to (durably, one consumer each). */
export const consumedEvents = [orderPlaced, orderCancelled, userRegistered] as const;

/**
 * `orders.order.placed` -> NotifierEvent. A total that disagrees with the lines is refused: the notifier
 * would tell the user a wrong amount, so the event goes to the dead-letter subject for a human instead.
 */
export function fromOrderPlaced(eventId: string, p: PayloadOf<typeof orderPlaced>): NotifierEvent {
  const sum = p.lines.reduce((total, l) => total + l.quantity * l.unitPriceMinor, 0);
  if (sum !== p.totalMinor) {
    throw new AppError(
      "invalid_argument",
      `order ${p.orderId}: totalMinor ${p.totalMinor} is not the lines' sum ${sum}`,
    );
  }
  return {
    kind: "order-placed",
    eventId,
    userId: p.userId,
    orderId: p.orderId,
    totalMinor: p.totalMinor,
    currency: p.currency,
  };
}

/** `orders.order.cancelled` -> NotifierEvent. */
export function fromOrderCancelled(eventId: string, p: PayloadOf<typeof orderCancelled>): NotifierEvent {
  return { kind: "order-cancelled", eventId, userId: p.userId, orderId: p.orderId };
}

/** `auth.user.registered` -> NotifierEvent. */
export function fromUserRegistered(eventId: string, p: PayloadOf<typeof userRegistered>): NotifierEvent {
  return { kind: "user-registered", eventId, userId: p.userId, email: p.email };
}

/** Any consumed event -> NotifierEvent. */
export function toNotifierEvent(
  event:
    | { id: string; subject: typeof orderPlaced.subject; payload: PayloadOf<typeof orderPlaced> }
    | { id: string; subject: typeof orderCancelled.subject; payload: PayloadOf<typeof orderCancelled> }
    | { id: string; subject: typeof userRegistered.subject; payload: PayloadOf<typeof userRegistered> },
): NotifierEvent {
  switch (event.subject) {
    case orderPlaced.subject:
      return fromOrderPlaced(event.id, event.payload);
    case orderCancelled.subject:
      return fromOrderCancelled(event.id, event.payload);
    case userRegistered.subject:
      return fromUserRegistered(event.id, event.payload);
  }
}
