import type { JetStreamClient } from "@nats-io/jetstream";
import { headers as natsHeaders } from "@nats-io/transport-node";
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

/**
 * Publishes to JetStream with `Nats-Msg-Id` = event id and waits for the PubAck; a re-sent id inside the
 * stream's duplicate window is acknowledged without being stored twice.
 * @example startOutboxRelay({ ..., publisher: jetStreamPublisher(jetstream(nc)) });
 */
export function jetStreamPublisher(js: JetStreamClient, options: { timeoutMs?: number } = {}): EventPublisher {
  const timeout = options.timeoutMs ?? 5_000;
  return {
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
}
