import { sql } from "drizzle-orm";
import type { PgDatabase, PgQueryResultHKT } from "drizzle-orm/pg-core";
import type { EventContract, PayloadIn } from "./contracts.ts";
import { contextHeaders, type EventContext } from "./headers.ts";
import { type OutboxTable, outboxChannel, schemaOf } from "./tables.ts";

// biome-ignore lint/suspicious/noExplicitAny: any drizzle database or transaction over any schema
type Executor = PgDatabase<PgQueryResultHKT, any, any>;

/** The NOTIFY channel of each outbox table (drizzle's getTableConfig is not free). */
const channels = new WeakMap<OutboxTable, string>();

/** Thrown when a payload does not match its event contract; nothing is written. */
export class EventPayloadError extends Error {
  override readonly name = "EventPayloadError";
  constructor(
    readonly subject: string,
    readonly issues: readonly { path: string; message: string }[],
  ) {
    super(`${subject} payload is invalid: ${issues.map((i) => `${i.path} ${i.message}`).join("; ")}`);
  }
}

/** Validates a payload against its contract and returns the parsed value (what goes on the wire). */
export function validatePayload<E extends EventContract>(event: E, payload: PayloadIn<E>): unknown {
  const parsed = event.payload.safeParse(payload);
  if (!parsed.success) {
    throw new EventPayloadError(
      event.subject,
      parsed.error.issues.map((i) => ({ path: `/${i.path.map(String).join("/")}`, message: i.message })),
    );
  }
  return parsed.data;
}

/**
 * Writes one event into the outbox inside the caller's transaction and notifies the relay in the same
 * statement (PostgreSQL delivers the notification only if the transaction commits). Returns the event id
 * (a UUID v7, also its `Nats-Msg-Id`).
 * @example
 * await inTransaction(database, async (tx) => {
 *   await tx.insert(orders).values(row);
 *   await enqueueEvent(tx, outbox, orderPlaced, payload, { requestId });
 * });
 */
export async function enqueueEvent<E extends EventContract>(
  tx: Executor,
  outbox: OutboxTable,
  event: E,
  payload: PayloadIn<E>,
  ctx?: EventContext,
): Promise<string> {
  if (event.delivery !== "jetstream") throw new Error(`${event.subject} is a core NATS event: use publishCore`);
  const data = validatePayload(event, payload);
  const id = Bun.randomUUIDv7();
  let channel = channels.get(outbox);
  if (channel === undefined) {
    channel = outboxChannel(schemaOf(outbox));
    channels.set(outbox, channel);
  }
  // `from pg_notify(...)` yields one row, so the insert and the notification are one round trip.
  await tx.execute(sql`insert into ${outbox} (id, subject, version, payload, headers)
    select ${id}::uuid, ${event.subject}, ${event.version}, ${JSON.stringify(data)}::jsonb, ${JSON.stringify(contextHeaders(ctx))}::jsonb
    from pg_notify(${channel}, '')`);
  return id;
}
