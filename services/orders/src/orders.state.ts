import { AppError } from "@shared/errors";
import type { OrderStatus } from "./orders.model.ts";

/**
 * The order state machine. `placed` is the only state a customer can cancel from; payment and
 * shipping move forward only; `delivered` and `cancelled` are final.
 *
 *   placed ──pay──> paid ──ship──> shipped ──deliver──> delivered
 *     └──cancel──> cancelled
 */
const transitions: Readonly<Record<OrderStatus, readonly OrderStatus[]>> = {
  placed: ["paid", "cancelled"],
  paid: ["shipped"],
  shipped: ["delivered"],
  delivered: [],
  cancelled: [],
};

/** Whether an order may move from one status to another. */
export function canTransition(from: OrderStatus, to: OrderStatus): boolean {
  return transitions[from].includes(to);
}

/** The statuses reachable from one status in one step. */
export function nextStatuses(from: OrderStatus): readonly OrderStatus[] {
  return transitions[from];
}

/** Throws `conflict` unless the move is allowed; the message names both states. */
export function assertTransition(from: OrderStatus, to: OrderStatus): void {
  if (canTransition(from, to)) return;
  const allowed = transitions[from];
  const hint = allowed.length ? `it can only become ${allowed.join(" or ")}` : "it is final";
  throw new AppError("conflict", `An order that is ${from} cannot become ${to}: ${hint}`);
}
