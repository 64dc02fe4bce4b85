// The caller (as the gateway forwards it) and keyset pages are the kit's, the same in every service.
export type { Actor } from "@shared/identity";
export type { Page, PageCursor } from "@shared/pagination";

/** The kinds of notification the notifier records, one per consumed event type. */
export const notificationKinds = ["order-placed", "order-cancelled", "user-registered"] as const;
export type NotificationKind = (typeof notificationKinds)[number];

/** A notification as the service layer sees it. */
export interface Notification {
  id: string;
  userId: string;
  kind: NotificationKind;
  /** The id of the event it was made from (the event's `Nats-Msg-Id`). */
  eventId: string;
  /** A short human-readable line, e.g. "Your order was placed". */
  subject: string;
  /** Details for the client (order id, total, ...). */
  data: Record<string, unknown>;
  createdAt: Date;
  readAt: Date | null;
}

/** What recording a notification needs; id and createdAt are the service's to choose. */
export type NewNotification = Omit<Notification, "readAt">;

/** A domain event the notifier reacts to, already decoded from its wire contract. */
export type NotifierEvent =
  | { kind: "order-placed"; eventId: string; userId: string; orderId: string; totalMinor: number; currency: string }
  | { kind: "order-cancelled"; eventId: string; userId: string; orderId: string }
  | { kind: "user-registered"; eventId: string; userId: string; email: string };
