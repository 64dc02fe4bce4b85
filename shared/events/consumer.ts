import {
  AckPolicy,
  type ConsumerConfig,
  type ConsumerMessages,
  DeliverPolicy,
  type JetStreamClient,
  type JetStreamManager,
  type JsMsg,
} from "@nats-io/jetstream";
import { nanos, headers as natsHeaders } from "@nats-io/transport-node";
import type { EventContract } from "./contracts.ts";
import { type Delivery, type DeliverySpec, deadLetterHeaders, defaultDlqSubject, processDelivery } from "./delivery.ts";
import { lowerCaseKeys } from "./headers.ts";
import type { EventMetrics } from "./metrics.ts";
import { isNotFound } from "./streams.ts";

/** Options of a durable consumer, transport aside (shared by JetStream and the in-process bus). */
export interface DurableConsumerSpec<E extends EventContract, TTables extends Record<string, unknown>>
  extends DeliverySpec<E, TTables> {
  /** The stream the consumer reads (ignored by the in-process bus). */
  stream: string;
  /** The durable name: instances with the same name share the work and the position. */
  durable: string;
  /** Subjects to receive; default: the subjects of `events`. One subject needs NATS 2.9, several 2.10. */
  filterSubjects?: string[];
  /** How long JetStream waits for an ack before redelivering (default 30 s). */
  ackWaitMs?: number;
  /** Messages handled at once (default 8). */
  concurrency?: number;
  /** Where an event goes after `maxDeliver` failed deliveries (default `dlq.<subject>`); a stream must capture it. */
  dlqSubject?: (subject: string) => string;
  metrics?: EventMetrics;
}

/** Options of `startConsumer`. */
export interface ConsumerOptions<E extends EventContract, TTables extends Record<string, unknown>>
  extends DurableConsumerSpec<E, TTables> {
  js: JetStreamClient;
  jsm: JetStreamManager;
}

/** A running consumer. */
export interface RunningConsumer {
  /** Stops pulling, lets in-flight messages finish (and ack), then returns. */
  stop(): Promise<void>;
}

/** The subjects a consumer filters on. */
export function filterOf(spec: { filterSubjects?: string[]; events: readonly EventContract[] }): string[] {
  return spec.filterSubjects ?? [...new Set(spec.events.map((e) => e.subject))];
}

async function provisionConsumer(
  jsm: JetStreamManager,
  stream: string,
  durable: string,
  filters: string[],
  ackWaitMs: number,
  maxAckPending: number,
): Promise<void> {
  const config: Partial<ConsumerConfig> = {
    durable_name: durable,
    ack_policy: AckPolicy.Explicit,
    deliver_policy: DeliverPolicy.All,
    ack_wait: nanos(ackWaitMs),
    // The consumer counts deliveries itself and dead-letters; the server must never give up on its own,
    // or an event whose dead-lettering failed would silently stop being delivered.
    max_deliver: -1,
    max_ack_pending: maxAckPending,
    ...(filters.length === 1 ? { filter_subject: filters[0] } : { filter_subjects: filters }),
  };
  try {
    await jsm.consumers.info(stream, durable);
  } catch (err) {
    if (!isNotFound(err)) throw err;
    await jsm.consumers.add(stream, config);
    return;
  }
  await jsm.consumers.update(stream, durable, config);
}

/**
 * Starts a durable pull consumer: provisions it (idempotently), handles up to `concurrency` messages at
 * once, each in one transaction with its inbox row, acks after commit, naks with backoff on failure, and
 * after `maxDeliver` deliveries publishes the message to the dead-letter subject and terminates it.
 * @example
 * const consumer = await startConsumer({ js, jsm, stream: "ORDERS", durable: "notifier", events: [orderPlaced],
 *   database, inbox, logger, handle: async (event, tx) => { await tx.insert(notifications).values(...) } });
 */
export async function startConsumer<E extends EventContract, TTables extends Record<string, unknown>>(
  options: ConsumerOptions<E, TTables>,
): Promise<RunningConsumer> {
  const { js, jsm, stream, durable, metrics, logger } = options;
  const concurrency = options.concurrency ?? 8;
  const dlqSubject = options.dlqSubject ?? defaultDlqSubject;
  const filters = filterOf(options);
  await provisionConsumer(jsm, stream, durable, filters, options.ackWaitMs ?? 30_000, Math.max(concurrency * 4, 64));
  const consumer = await js.consumers.get(stream, durable);
  const messages: ConsumerMessages = await consumer.consume({ max_messages: concurrency });
  const inflight = new Set<Promise<void>>();

  async function deadLetter(msg: JsMsg, delivery: Delivery, error: string) {
    const h = natsHeaders();
    for (const [k, v] of Object.entries(deadLetterHeaders(delivery, error, { stream, durable }))) h.set(k, v);
    const id = delivery.headers["nats-msg-id"];
    try {
      await js.publish(dlqSubject(delivery.subject), delivery.data, { headers: h, ...(id ? { msgID: id } : {}) });
    } catch (err) {
      // Not stored anywhere yet: keep the message and try again later rather than lose it.
      logger.error({ err, subject: delivery.subject, eventId: id }, "cannot publish to the dead-letter subject");
      msg.nak(5_000);
      return;
    }
    // No reason text: nats-server before 2.10 ignores "+TERM <reason>"; the reason is in the DLQ headers.
    msg.term();
    metrics?.deadLettered.inc({ subject: delivery.subject, durable });
    logger.error(
      { subject: delivery.subject, eventId: id, error, deliveries: delivery.deliveryCount },
      "event dead-lettered",
    );
  }

  async function handle(msg: JsMsg) {
    const delivery: Delivery = {
      subject: msg.subject,
      data: msg.data,
      headers: msg.headers ? lowerCaseKeys(msg.headers) : {},
      deliveryCount: msg.info.deliveryCount,
    };
    if (delivery.deliveryCount > 1) metrics?.redelivered.inc({ subject: msg.subject, durable });
    const outcome = await processDelivery(delivery, options);
    switch (outcome.kind) {
      case "processed":
      case "duplicate":
        msg.ack();
        metrics?.consumed.inc({ subject: msg.subject, durable, result: outcome.kind });
        return;
      case "retry":
        msg.nak(outcome.delayMs);
        return;
      case "dead":
        await deadLetter(msg, delivery, outcome.error);
    }
  }

  const loop = (async () => {
    for await (const msg of messages) {
      while (inflight.size >= concurrency) await Promise.race(inflight);
      const p: Promise<void> = handle(msg)
        .catch((err) => logger.error({ err, subject: msg.subject }, "consumer failed to settle a message"))
        .finally(() => inflight.delete(p));
      inflight.add(p);
    }
  })();

  return {
    async stop() {
      await messages.close();
      await loop;
      await Promise.all(inflight);
    },
  };
}
