import type { JetStreamClient } from "@nats-io/jetstream";
import { createInbox, type Msg, type NatsConnection, headers as natsHeaders } from "@nats-io/transport-node";
import { eventHeaderNames } from "./headers.ts";

/** One event on its way out: an outbox row, or a message in flight. */
export interface OutgoingEvent {
  /** UUID v7; `Nats-Msg-Id`. */
  id: string;
  subject: string;
  version: number;
  /** The validated payload (JSON). */
  payload: unknown;
  /** Context headers (`traceparent`, `X-Request-Id`) recorded when the event was enqueued. */
  headers: Readonly<Record<string, string>>;
  occurredAt: Date;
}

/** Where a relay publishes durable events. `publish` resolves only once the event is stored (acknowledged). */
export interface EventPublisher {
  publish(event: OutgoingEvent): Promise<void>;
  /**
   * Publishes events in this order without waiting for each acknowledgement in turn (they are
   * pipelined) and resolves once every one is acknowledged or has failed: one entry per event, null when
   * stored (or dropped as a duplicate), else why not. Optional: the relay calls `publish` for each
   * event when it is absent.
   */
  publishBatch?(events: readonly OutgoingEvent[]): Promise<(Error | null)[]>;
}

const encoder = new TextEncoder();

/** The NATS headers of an outgoing event (the ADR's envelope). */
export function envelopeHeaders(event: OutgoingEvent): Record<string, string> {
  return {
    ...event.headers,
    [eventHeaderNames.msgId]: event.id,
    [eventHeaderNames.version]: String(event.version),
    [eventHeaderNames.occurredAt]: event.occurredAt.toISOString(),
  };
}

function natsHeadersOf(event: OutgoingEvent) {
  const h = natsHeaders();
  for (const [k, v] of Object.entries(envelopeHeaders(event))) if (k !== eventHeaderNames.msgId) h.set(k, v);
  h.set(eventHeaderNames.msgId, event.id);
  return h;
}

/**
 * The error in a JetStream PubAck to a message published on `subject` (or a status reply such as 503: no
 * stream captures the subject where the client is connected, e.g. while the stream elects a leader), else null.
 */
function pubAckError(msg: Msg, subject: string): Error | null {
  const status = msg.headers?.code ?? 0;
  if (status >= 300) {
    return new Error(status === 503 ? `no stream captures ${subject} (yet)` : `publish failed: ${status}`);
  }
  if (!msg.data.length) return new Error("empty publish acknowledgement");
  try {
    const ack = msg.json<{ error?: { code?: number; err_code?: number; description?: string } }>();
    if (ack.error) return new Error(`JetStream refused the message: ${ack.error.description} (${ack.error.err_code})`);
  } catch {
    return new Error("unreadable publish acknowledgement");
  }
  return null;
}

/**
 * Publishes to JetStream with `Nats-Msg-Id` = event id and waits for the PubAck; a re-sent id inside the
 * stream's duplicate window is acknowledged without being stored twice. `publishBatch` sends a whole batch
 * at once on the connection (so the stream stores it in this order) with every PubAck coming back to
 * one subscription and one timer for the batch: no request, promise and timer per event.
 * @example startOutboxRelay({ ..., publisher: jetStreamPublisher(jetstream(nc)) });
 */
export function jetStreamPublisher(
  js: JetStreamClient,
  options: { timeoutMs?: number; nc?: NatsConnection } = {},
): EventPublisher {
  const timeout = options.timeoutMs ?? 5_000;
  // The JetStream client's own connection (public in the implementation, not in the interface).
  const nc = options.nc ?? (js as unknown as { nc?: NatsConnection }).nc;
  const publisher: EventPublisher = {
    async publish(event) {
      const h = natsHeaders();
      for (const [k, v] of Object.entries(envelopeHeaders(event))) if (k !== eventHeaderNames.msgId) h.set(k, v);
      // retries: 0 — the relay owns retrying, with its own backoff and the row still unsent.
      await js.publish(event.subject, encoder.encode(JSON.stringify(event.payload)), {
        msgID: event.id,
        headers: h,
        timeout,
        retries: 0,
      });
    },
  };
  if (!nc) return publisher;

  const prefix = createInbox();
  const waiting = new Map<string, { subject: string; done: (err: Error | null) => void }>();
  let sub: ReturnType<NatsConnection["subscribe"]> | null = null;
  let next = 0;
  publisher.publishBatch = async (events) => {
    if (!sub || sub.isClosed()) {
      sub = nc.subscribe(`${prefix}.*`, {
        callback: (err, msg) => {
          if (err) return;
          const entry = waiting.get(msg.subject);
          if (!entry) return; // late: its batch timed out and will be re-sent
          waiting.delete(msg.subject);
          entry.done(pubAckError(msg, entry.subject));
        },
      });
    }
    const replies: string[] = [];
    const results = events.map(
      (event) =>
        new Promise<Error | null>((resolve) => {
          const reply = `${prefix}.${(next++).toString(36)}`;
          replies.push(reply);
          waiting.set(reply, { subject: event.subject, done: resolve });
          try {
            nc.publish(event.subject, encoder.encode(JSON.stringify(event.payload)), {
              reply,
              headers: natsHeadersOf(event),
            });
          } catch (err) {
            waiting.delete(reply);
            resolve(err instanceof Error ? err : new Error(String(err)));
          }
        }),
    );
    const timer = setTimeout(() => {
      const late = new Error(`no publish acknowledgement within ${timeout} ms`);
      for (const reply of replies) {
        const entry = waiting.get(reply);
        if (!entry) continue;
        waiting.delete(reply);
        entry.done(late);
      }
    }, timeout);
    try {
      return await Promise.all(results);
    } finally {
      clearTimeout(timer);
    }
  };
  return publisher;
}
