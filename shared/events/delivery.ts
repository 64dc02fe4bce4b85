// What a consumer does with one delivery, whatever brought it (JetStream or the in-process bus): decode,
// validate against the contract, run the handler in one transaction with the inbox insert, and say
// what to do with the message. The transports only apply the outcome (ack, nak, dead-letter).
import { SpanKind, type SpanOptions, type Tracer } from "@opentelemetry/api";
import { sql } from "drizzle-orm";
import { type Database, inTransaction, type Tx } from "../db/index.ts";
import { extractTraceContext, inSpan } from "../telemetry/context.ts";
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
  /** A CONSUMER span per processed message, continuing its trace headers; null or absent: off. */
  tracer?: Tracer | null;
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
const uuidShape = /^[0-9a-f-]{36}$/i;
const msgIdKey = eventHeaderNames.msgId.toLowerCase();
const versionKey = eventHeaderNames.version.toLowerCase();
const occurredAtKey = eventHeaderNames.occurredAt.toLowerCase();
const defaultBackoff = (n: number) => Math.min(500 * 2 ** (n - 1), 30_000);

/** A delivery that decoded and validated: ready for the handler. */
interface Prepared<E extends EventContract> {
  id: string;
  delivery: Delivery;
  event: ReceivedEvent<E>;
  ctx: HandlerContext;
}

/** Decodes and validates a delivery against the contracts; a string is why it must be dead-lettered. */
function prepare<E extends EventContract, TTables extends Record<string, unknown>>(
  delivery: Delivery,
  spec: DeliverySpec<E, TTables>,
): Prepared<E> | string {
  const h = delivery.headers;
  const id = h[msgIdKey];
  // Problems no redelivery can fix go to the dead-letter subject at once.
  if (!id || !uuidShape.test(id)) return "message has no event id (Nats-Msg-Id)";
  const version = Number(h[versionKey] ?? "1");
  const contract = spec.events.find((e) => e.subject === delivery.subject && e.version === version);
  if (!contract) return `no handler for ${delivery.subject} version ${version}`;
  let raw: unknown;
  try {
    raw = JSON.parse(decoder.decode(delivery.data));
  } catch {
    return "payload is not JSON";
  }
  const parsed = contract.payload.safeParse(raw);
  if (!parsed.success) {
    const detail = parsed.error.issues.map((i) => `/${i.path.map(String).join("/")} ${i.message}`).join("; ");
    return `payload breaks ${contract.subject} v${version}: ${detail}`;
  }
  const occurred = h[occurredAtKey];
  const event = {
    id,
    subject: contract.subject,
    version: contract.version,
    payload: parsed.data,
    occurredAt: occurred ? new Date(occurred) : null,
  } as ReceivedEvent<E>;
  const { requestId, traceId } = contextFromHeaders(h);
  // The bound logger is made on first use: most handlers never log, and pino's child costs microseconds.
  let bound: EventsLogger | undefined;
  const ctx: HandlerContext = {
    requestId,
    ...(traceId ? { traceId } : {}),
    get logger() {
      if (!bound) {
        const bindings = { eventId: id, subject: delivery.subject, requestId, ...(traceId ? { traceId } : {}) };
        bound = spec.logger.child ? spec.logger.child(bindings) : spec.logger;
      }
      return bound;
    },
    deliveryCount: delivery.deliveryCount,
  };
  return { id, delivery, event, ctx };
}

function failure<E extends EventContract, TTables extends Record<string, unknown>>(
  prepared: Prepared<E>,
  err: unknown,
  spec: DeliverySpec<E, TTables>,
): Outcome {
  const error = err instanceof Error ? `${err.name}: ${err.message}` : String(err);
  const { deliveryCount } = prepared.delivery;
  if (deliveryCount >= (spec.maxDeliver ?? 5)) return { kind: "dead", error };
  prepared.ctx.logger.warn({ err, deliveryCount }, "event handler failed; will redeliver");
  return { kind: "retry", delayMs: (spec.backoffMs ?? defaultBackoff)(deliveryCount), error };
}

function processSpan(delivery: Delivery): SpanOptions {
  return {
    kind: SpanKind.CONSUMER,
    attributes: {
      "messaging.system": "nats",
      "messaging.operation.type": "process",
      "messaging.destination.name": delivery.subject,
      "messaging.message.id": delivery.headers[msgIdKey] ?? "",
      "messaging.message.delivery_count": delivery.deliveryCount,
    },
  };
}

/**
 * Runs `work` in the message's processing span: a child of the producer's context from the headers, read
 * from the root context (never the span of whatever loop pulled the message). A dead letter is an event on it.
 */
function inProcessSpan(
  tracer: Tracer | null | undefined,
  delivery: Delivery,
  work: () => Promise<Outcome | undefined>,
): Promise<Outcome | undefined> {
  if (!tracer) return work();
  const parent = extractTraceContext((name) => delivery.headers[name]);
  return inSpan(
    tracer,
    `process ${delivery.subject}`,
    processSpan(delivery),
    async (span) => {
      const outcome = await work();
      if (outcome?.kind === "dead") span.addEvent("dead_lettered", { "error.message": outcome.error });
      return outcome;
    },
    parent,
  );
}

/** One prepared delivery in a transaction of its own. */
async function processOne<E extends EventContract, TTables extends Record<string, unknown>>(
  prepared: Prepared<E>,
  spec: DeliverySpec<E, TTables>,
): Promise<Outcome> {
  if (!spec.tracer) return processOneUntraced(prepared, spec);
  return (await inProcessSpan(spec.tracer, prepared.delivery, () => processOneUntraced(prepared, spec))) as Outcome;
}

async function processOneUntraced<E extends EventContract, TTables extends Record<string, unknown>>(
  prepared: Prepared<E>,
  spec: DeliverySpec<E, TTables>,
): Promise<Outcome> {
  const { id, delivery } = prepared;
  try {
    const fresh = await inTransaction(spec.database, async (tx) => {
      const inserted = await tx
        .insert(spec.inbox)
        .values({ eventId: id, subject: delivery.subject })
        .onConflictDoNothing()
        .returning({ id: spec.inbox.eventId });
      if (!inserted.length) return false; // processed before: commit nothing else
      await spec.handle(prepared.event, tx, prepared.ctx);
      return true;
    });
    return { kind: fresh ? "processed" : "duplicate", id };
  } catch (err) {
    return failure(prepared, err, spec);
  }
}

/**
 * Processes deliveries in ONE transaction: one statement inserts all their inbox rows (the ones already
 * there are duplicates: nothing else is done for them), then the handler runs for each fresh event, in
 * order, on the same transaction; one commit covers them all. If anything in it fails (a handler throws,
 * the commit fails), everything is rolled back and each delivery is processed again in a transaction of
 * its own, so a poison message is retried and dead-lettered alone and the others go through. Deliveries
 * that cannot be decoded are dead-lettered without touching the database. Outcomes are in the order of
 * `deliveries`; never throws.
 */
export async function processBatch<E extends EventContract, TTables extends Record<string, unknown>>(
  deliveries: readonly Delivery[],
  spec: DeliverySpec<E, TTables>,
): Promise<Outcome[]> {
  const outcomes: Outcome[] = new Array(deliveries.length);
  const ready: { index: number; prepared: Prepared<E> }[] = [];
  for (let i = 0; i < deliveries.length; i++) {
    const prepared = prepare(deliveries[i]!, spec);
    if (typeof prepared === "string") {
      const dead: Outcome = { kind: "dead", error: prepared };
      outcomes[i] = dead;
      if (spec.tracer) await inProcessSpan(spec.tracer, deliveries[i]!, async () => dead);
    } else ready.push({ index: i, prepared });
  }
  if (ready.length === 1) outcomes[ready[0]!.index] = await processOne(ready[0]!.prepared, spec);
  if (ready.length <= 1) return outcomes;

  try {
    const handled = await inTransaction(spec.database, async (tx) => {
      // The same event stored twice (a re-send after the duplicate window) may come twice in one batch.
      const rows = new Map<string, string>();
      for (const { prepared } of ready) if (!rows.has(prepared.id)) rows.set(prepared.id, prepared.delivery.subject);
      // One statement of one shape whatever the batch size (postgres.js prepares each distinct text once).
      const inserted = (await tx.execute(
        sql`insert into ${spec.inbox} (event_id, subject)
          select * from unnest(${sql.param([...rows.keys()])}::uuid[], ${sql.param([...rows.values()])}::text[])
          on conflict do nothing returning event_id as id`,
      )) as unknown as { id: string }[];
      const fresh = new Set(inserted.map((r) => r.id));
      const handled = new Set<string>();
      for (const { prepared } of ready) {
        if (!fresh.has(prepared.id) || handled.has(prepared.id)) continue;
        handled.add(prepared.id);
        if (!spec.tracer) await spec.handle(prepared.event, tx, prepared.ctx);
        else {
          await inProcessSpan(spec.tracer, prepared.delivery, async () => {
            await spec.handle(prepared.event, tx, prepared.ctx);
            return undefined;
          });
        }
      }
      return handled;
    });
    for (const { index, prepared } of ready) {
      outcomes[index] = { kind: handled.has(prepared.id) ? "processed" : "duplicate", id: prepared.id };
      handled.delete(prepared.id); // a second copy in the same batch is a duplicate
    }
    return outcomes;
  } catch (err) {
    // Nothing of the batch was committed (or, if the commit's answer was lost, the inbox rows make the
    // second attempt a duplicate). One by one now: only the guilty one fails.
    spec.logger.debug({ err, size: ready.length }, "batch transaction failed; processing its events one by one");
    for (const { index, prepared } of ready) outcomes[index] = await processOne(prepared, spec);
    return outcomes;
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
