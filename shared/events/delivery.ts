// What a consumer does with one delivery, whatever brought it (JetStream or the in-process bus): decode,
// validate against the contract, run the handler in one transaction with the inbox insert, and say
// what to do with the message. The transports only apply the outcome (ack, nak, dead-letter).
import { type Database, inTransaction, type Tx } from "../db/index.ts";
import type { EventContract, PayloadOf } from "./contracts.ts";
import { contextFromHeaders, eventHeaderNames } from "./headers.ts";
import type { EventsLogger } from "./relay.ts";
import type { InboxTable } from "./tables.ts";

/** An event as a handler receives it: validated payload plus its envelope. */
export type ReceivedEvent<E extends EventContract> = E extends EventContract
  ? {
      /** The event id (`Nats-Msg-Id`); the inbox key. */
      id: string;
      subject: E["subject"];
      version: E["version"];
      payload: PayloadOf<E>;
      /** When the event was enqueued, if the publisher said so. */
      occurredAt: Date | null;
    }
  : never;

/** A logger that can bind fields (pino's `child`). */
export type BindableLogger = EventsLogger & { child?(bindings: object): EventsLogger };

/** What a handler gets besides the event and the transaction. */
export interface HandlerContext {
  requestId: string;
  traceId?: string;
  /** Bound to eventId, subject, requestId and traceId when the logger supports `child`. */
  logger: EventsLogger;
  /** 1 for the first delivery. */
  deliveryCount: number;
}

/** The handler of a durable consumer; runs inside the transaction that records the event in the inbox. */
export type EventHandler<E extends EventContract, TTables extends Record<string, unknown>> = (
  event: ReceivedEvent<E>,
  tx: Tx<TTables>,
  ctx: HandlerContext,
) => Promise<void>;

/** Everything a consumer needs to process deliveries, transport aside. */
export interface DeliverySpec<E extends EventContract, TTables extends Record<string, unknown>> {
  /** The event versions this consumer understands; anything else goes to the dead-letter subject. */
  events: readonly E[];
  database: Database<TTables>;
  /** The service's `inboxTable(schema)`. */
  inbox: InboxTable;
  handle: EventHandler<E, TTables>;
  /** Deliveries before a failing event is dead-lettered (default 5). */
  maxDeliver?: number;
  /** Delay before redelivering after the n-th failed delivery (default 500 ms doubling, at most 30 s). */
  backoffMs?: (deliveryCount: number) => number;
  logger: BindableLogger;
}

/** One message as a transport hands it over; header keys in lower case. */
export interface Delivery {
  subject: string;
  data: Uint8Array;
  headers: Readonly<Record<string, string>>;
  deliveryCount: number;
}

/** What the transport must do with the message. */
export type Outcome =
  | { kind: "processed" | "duplicate"; id: string }
  | { kind: "retry"; delayMs: number; error: string }
  | { kind: "dead"; error: string };

const decoder = new TextDecoder();
const defaultBackoff = (n: number) => Math.min(500 * 2 ** (n - 1), 30_000);

/** Processes one delivery; never throws. */
export async function processDelivery<E extends EventContract, TTables extends Record<string, unknown>>(
  delivery: Delivery,
  spec: DeliverySpec<E, TTables>,
): Promise<Outcome> {
  const h = delivery.headers;
  const id = h[eventHeaderNames.msgId.toLowerCase()];
  const version = Number(h[eventHeaderNames.version.toLowerCase()] ?? "1");
  const { requestId, traceId } = contextFromHeaders(h);
  const bindings = { eventId: id, subject: delivery.subject, requestId, ...(traceId ? { traceId } : {}) };
  const logger = spec.logger.child ? spec.logger.child(bindings) : spec.logger;

  // Problems no redelivery can fix go to the dead-letter subject at once.
  if (!id || !/^[0-9a-f-]{36}$/i.test(id)) return { kind: "dead", error: "message has no event id (Nats-Msg-Id)" };
  const contract = spec.events.find((e) => e.subject === delivery.subject && e.version === version);
  if (!contract) return { kind: "dead", error: `no handler for ${delivery.subject} version ${version}` };
  let raw: unknown;
  try {
    raw = JSON.parse(decoder.decode(delivery.data));
  } catch {
    return { kind: "dead", error: "payload is not JSON" };
  }
  const parsed = contract.payload.safeParse(raw);
  if (!parsed.success) {
    const detail = parsed.error.issues.map((i) => `/${i.path.map(String).join("/")} ${i.message}`).join("; ");
    return { kind: "dead", error: `payload breaks ${contract.subject} v${version}: ${detail}` };
  }
  const occurred = h[eventHeaderNames.occurredAt.toLowerCase()];
  const event = {
    id,
    subject: contract.subject,
    version: contract.version,
    payload: parsed.data,
    occurredAt: occurred ? new Date(occurred) : null,
  } as ReceivedEvent<E>;

  try {
    const fresh = await inTransaction(spec.database, async (tx) => {
      const inserted = await tx
        .insert(spec.inbox)
        .values({ eventId: id, subject: delivery.subject })
        .onConflictDoNothing()
        .returning({ id: spec.inbox.eventId });
      if (!inserted.length) return false; // processed before: commit nothing else
      await spec.handle(event, tx, {
        requestId,
        ...(traceId ? { traceId } : {}),
        logger,
        deliveryCount: delivery.deliveryCount,
      });
      return true;
    });
    return { kind: fresh ? "processed" : "duplicate", id };
  } catch (err) {
    const error = err instanceof Error ? `${err.name}: ${err.message}` : String(err);
    const maxDeliver = spec.maxDeliver ?? 5;
    if (delivery.deliveryCount >= maxDeliver) return { kind: "dead", error };
    logger.warn({ err, deliveryCount: delivery.deliveryCount }, "event handler failed; will redeliver");
    return { kind: "retry", delayMs: (spec.backoffMs ?? defaultBackoff)(delivery.deliveryCount), error };
  }
}

/** Headers of a dead-lettered message: the original ones plus why and where it came from. */
export function deadLetterHeaders(
  delivery: Delivery,
  error: string,
  origin: { stream?: string; durable: string },
): Record<string, string> {
  return {
    ...delivery.headers,
    "Dlq-Error": error.replace(/[\r\n]+/g, " ").slice(0, 1000),
    "Dlq-Subject": delivery.subject,
    "Dlq-Durable": origin.durable,
    ...(origin.stream ? { "Dlq-Stream": origin.stream } : {}),
    "Dlq-Deliveries": String(delivery.deliveryCount),
  };
}

/** The default dead-letter subject of an event subject. */
export const defaultDlqSubject = (subject: string) => `dlq.${subject}`;
