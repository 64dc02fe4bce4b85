import { z } from "zod";

/** How an event travels: durable through the outbox and JetStream, or fire-and-forget on core NATS. */
export type Delivery = "jetstream" | "core";

/** One versioned event of the platform: its subject, payload schema and how it is delivered. */
export interface EventContract<S extends string = string, P extends z.ZodType = z.ZodType> {
  /** `<service>.<entity>.<verb-past-tense>`; the NATS subject too. */
  subject: S;
  /** Bumped for an incompatible payload; consumers accept the versions they know. */
  version: number;
  payload: P;
  delivery: Delivery;
  summary: string;
}

/** The payload type of an event contract (what a publisher passes in). */
export type PayloadIn<E extends EventContract> = z.input<E["payload"]>;
/** The payload type of an event contract after validation (what a consumer receives). */
export type PayloadOf<E extends EventContract> = z.output<E["payload"]>;

const subjectPattern = /^[a-z][a-z0-9-]*(\.[a-z][a-z0-9-]*){2,}$/;

/**
 * Declares an event contract; checks the subject's shape (`service.entity.verb`, lowercase) and version.
 * @example export const userRegistered = defineEvent({ subject: "auth.user.registered", version: 1,
 *   payload: z.object({ userId: z.uuid() }), delivery: "jetstream", summary: "A user registered" });
 */
export function defineEvent<const S extends string, P extends z.ZodType>(
  contract: EventContract<S, P>,
): EventContract<S, P> {
  if (!subjectPattern.test(contract.subject)) {
    throw new Error(`event subject ${contract.subject} is not <service>.<entity>.<verb-past-tense>`);
  }
  if (!Number.isInteger(contract.version) || contract.version < 1) {
    throw new Error(`event ${contract.subject} has version ${contract.version}; versions are integers from 1`);
  }
  return contract;
}

const uuid = z.uuid();
const currency = z.string().regex(/^[A-Z]{3}$/, "ISO 4217 code");
const minor = z.number().int().nonnegative();

/** A user registered with auth; users creates the profile, notifier greets them. */
export const userRegistered = defineEvent({
  subject: "auth.user.registered",
  version: 1,
  delivery: "jetstream",
  summary: "A user registered",
  payload: z.object({ userId: uuid, email: z.email(), displayName: z.string().min(1).optional() }),
});

/** An order was placed at the prices of that moment. */
export const orderPlaced = defineEvent({
  subject: "orders.order.placed",
  version: 1,
  delivery: "jetstream",
  summary: "An order was placed",
  payload: z.object({
    orderId: uuid,
    userId: uuid,
    totalMinor: minor,
    currency,
    lines: z.array(z.object({ productId: uuid, quantity: z.number().int().positive(), unitPriceMinor: minor })).min(1),
    placedAt: z.iso.datetime({ offset: true }),
  }),
});

/** An order was cancelled. */
export const orderCancelled = defineEvent({
  subject: "orders.order.cancelled",
  version: 1,
  delivery: "jetstream",
  summary: "An order was cancelled",
  payload: z.object({ orderId: uuid, userId: uuid, cancelledAt: z.iso.datetime({ offset: true }) }),
});

/** A product was created, changed or deactivated; caches drop it. Losing one is harmless (core NATS). */
export const productChanged = defineEvent({
  subject: "catalog.product.changed",
  version: 1,
  delivery: "core",
  summary: "A product changed (cache purge)",
  payload: z.object({
    productId: uuid,
    change: z.enum(["created", "updated", "deactivated"]),
    version: z.number().int().nonnegative(),
  }),
});

/** Every event of the platform: the one list AsyncAPI, streams and reviews read. */
export const platformEvents = [userRegistered, orderPlaced, orderCancelled, productChanged] as const;

/** The service that owns (publishes) an event: the first segment of its subject. */
export function ownerOf(event: EventContract): string {
  return event.subject.split(".")[0]!;
}

/** Finds the contract for a subject and version in a list, or undefined. */
export function findEvent<E extends EventContract>(
  events: readonly E[],
  subject: string,
  version: number,
): E | undefined {
  return events.find((e) => e.subject === subject && e.version === version);
}
