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
import { type Delivery, type DeliverySpec, deadLetterHeaders, defaultDlqSubject, processBatch } from "./delivery.ts";
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
  /** How long one pull request waits at the server (default 5 s): a dead consumer leader is noticed within it. */
  pullExpiresMs?: number;
  /** Messages handled at once (default 8): being handled in transactions, not yet acknowledged. */
  concurrency?: number;
  /**
   * Most messages handled in one transaction (default: `concurrency`). Messages that arrive together
   * share a transaction: their inbox rows go in one statement, the handler runs for each in turn on
   * the same `tx`, one commit, then all are acked. When that transaction fails, each message is
   * handled again in a transaction of its own, so a failing one is retried and dead-lettered alone.
   * 1 = one transaction per message. Handlers must not assume that `tx` holds their event alone.
   */
  batchSize?: number;
  /** Transactions at once (default: enough for `concurrency` in batches of `batchSize`, plus one). */
  transactions?: number;
  /** Where an event goes after `maxDeliver` failed deliveries (default `dlq.<subject>`); a stream must capture it. */
  dlqSubject?: (subject: string) => string;
  metrics?: EventMetrics;
  /**
   * Called after a message was settled: acked (`processed`, `duplicate`, after the commit), nak'ed
   * (`retry`) or dead-lettered (`dead`). For tracing and measurement; must not throw or block.
   */
  onSettled?: (settled: SettledMessage) => void;
}

/** What `onSettled` receives. */
export interface SettledMessage {
  /** The event id (`Nats-Msg-Id`), when the message had one. */
  id: string | undefined;
  subject: string;
  outcome: "processed" | "duplicate" | "retry" | "dead";
  deliveryCount: number;
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
 * once in batches of up to `batchSize` per transaction (inbox rows and handler writes of the batch commit
 * together; a failed batch is redone one message per transaction), acks after commit, naks with backoff
 * on failure, and after `maxDeliver` deliveries publishes the message to the dead-letter subject and
 * terminates it.
 * @example
 * const consumer = await startConsumer({ js, jsm, stream: "ORDERS", durable: "notifier", events: [orderPlaced],
 *   database, inbox, logger, handle: async (event, tx) => { await tx.insert(notifications).values(...) } });
 */
export async function startConsumer<E extends EventContract, TTables extends Record<string, unknown>>(
  options: ConsumerOptions<E, TTables>,
): Promise<RunningConsumer> {
  const { js, jsm, stream, durable, metrics, logger, onSettled } = options;
  const concurrency = Math.max(1, options.concurrency ?? 8);
  const batchSize = Math.max(1, Math.min(options.batchSize ?? concurrency, concurrency));
  const transactions = Math.max(
    1,
    options.transactions ?? Math.min(concurrency, Math.ceil(concurrency / batchSize) + 1),
  );
  const dlqSubject = options.dlqSubject ?? defaultDlqSubject;
  const filters = filterOf(options);
  // Pulled and not yet acked: being handled (<= concurrency) plus the next batches waiting (<= concurrency).
  await provisionConsumer(jsm, stream, durable, filters, options.ackWaitMs ?? 30_000, Math.max(concurrency * 4, 64));
  const consumer = await js.consumers.get(stream, durable);
  // Pull requests live on the consumer's leader. When its node dies they are gone, and the client only notices
  // after two missed heartbeats (half the expiry each): 30 s by default. Five seconds resumes on the new
  // leader within about that, for one pull request per five seconds when idle.
  const messages: ConsumerMessages = await consumer.consume({
    max_messages: concurrency,
    expires: options.pullExpiresMs ?? 5_000,
  });

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
    onSettled?.({ id, subject: delivery.subject, outcome: "dead", deliveryCount: delivery.deliveryCount });
    logger.error(
      { subject: delivery.subject, eventId: id, error, deliveries: delivery.deliveryCount },
      "event dead-lettered",
    );
  }

  /** Handles messages in one transaction (see `processBatch`), then acks, naks or dead-letters each. */
  async function handleBatch(batch: JsMsg[]) {
    const deliveries = batch.map((msg): Delivery => {
      const deliveryCount = msg.info.deliveryCount;
      if (deliveryCount > 1) metrics?.redelivered.inc({ subject: msg.subject, durable });
      return {
        subject: msg.subject,
        data: msg.data,
        headers: msg.headers ? lowerCaseKeys(msg.headers) : {},
        deliveryCount,
      };
    });
    const outcomes = await processBatch(deliveries, options);
    const dead: Promise<void>[] = [];
    for (let i = 0; i < batch.length; i++) {
      const msg = batch[i]!;
      const delivery = deliveries[i]!;
      const outcome = outcomes[i]!;
      switch (outcome.kind) {
        case "processed":
        case "duplicate":
          // After the commit, never before: a crash in between redelivers, and the inbox makes that a no-op.
          msg.ack();
          metrics?.consumed.inc({ subject: msg.subject, durable, result: outcome.kind });
          onSettled?.({
            id: outcome.id,
            subject: msg.subject,
            outcome: outcome.kind,
            deliveryCount: delivery.deliveryCount,
          });
          break;
        case "retry":
          msg.nak(outcome.delayMs);
          onSettled?.({
            id: delivery.headers["nats-msg-id"],
            subject: msg.subject,
            outcome: "retry",
            deliveryCount: delivery.deliveryCount,
          });
          break;
        case "dead":
          dead.push(deadLetter(msg, delivery, outcome.error));
      }
    }
    await Promise.all(dead);
  }

  // Messages wait in `queue` until a transaction slot takes them; a slot takes everything that arrived
  // since (up to batchSize), so batches grow with the load and a lone message goes through at once.
  const queue: JsMsg[] = [];
  const inflight = new Set<Promise<void>>();
  let handling = 0;
  let scheduled = false;
  let resumeReader: (() => void) | null = null;
  const resume = () => {
    const r = resumeReader;
    resumeReader = null;
    r?.();
  };

  function dispatch() {
    scheduled = false;
    while (queue.length && inflight.size < transactions && handling < concurrency) {
      const batch = queue.splice(0, Math.min(batchSize, concurrency - handling));
      handling += batch.length;
      const p: Promise<void> = handleBatch(batch)
        .catch((err) => logger.error({ err, size: batch.length }, "consumer failed to settle messages"))
        .finally(() => {
          inflight.delete(p);
          handling -= batch.length;
          dispatch();
          resume();
        });
      inflight.add(p);
    }
  }
  // Deferred to the next turn of the event loop, after every message that came in the same read is queued.
  const schedule = () => {
    if (scheduled) return;
    scheduled = true;
    setImmediate(dispatch);
  };

  const loop = (async () => {
    for await (const msg of messages) {
      queue.push(msg);
      schedule();
      // Backpressure: the next pull waits while a full window is queued behind the ones being handled.
      while (queue.length >= concurrency) await new Promise<void>((r) => (resumeReader = r));
    }
  })().catch((err) => {
    // The connection was closed under the consumer (the iterator's next pull throws): nothing more
    // arrives; what was pulled is still handled, and what is not acked is redelivered elsewhere.
    logger.error({ err, stream, durable }, "consumer stopped receiving messages");
  });

  return {
    async stop() {
      await messages.close();
      resume();
      await loop;
      // What was already pulled is still handled and acked (quicker than waiting for ack_wait).
      while (queue.length || inflight.size) {
        dispatch();
        if (inflight.size) await Promise.race(inflight);
      }
    },
  };
}
