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

/** Who is asking, as forwarded by the gateway. */
export interface Actor {
  userId: string;
  roles: readonly string[];
}

/** One page of a keyset-paginated listing. */
export interface Page<T> {
  items: T[];
  nextCursor: string | null;
}

/** Where a listing page starts: strictly before this (createdAt, id), newest first. */
export interface PageCursor {
  createdAt: Date;
  id: string;
}
