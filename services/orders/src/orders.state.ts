import { AppError } from "@shared/errors";
import type { OrderStatus } from "./orders.model.ts";

/**
 * The order state machine. An order is `pending` while catalog reserves its stock, then `placed` or
 * `rejected`. `placed` is the only state a customer can cancel from; payment and shipping move forward
 * only; `delivered`, `cancelled` and `rejected` are final.
 *
 *   pending ──reserved──> placed ──pay──> paid ──ship──> shipped ──deliver──> delivered
 *     └──refused──> rejected  └──cancel──> cancelled
 */
const transitions: Readonly<Record<OrderStatus, readonly OrderStatus[]>> = {
  pending: ["placed", "rejected"],
  placed: ["paid", "cancelled"],
  paid: ["shipped"],
  shipped: ["delivered"],
  delivered: [],
  cancelled: [],
  rejected: [],
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
