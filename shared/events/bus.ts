import { jetstream, jetstreamManager } from "@nats-io/jetstream";
import type { NatsConnection } from "@nats-io/transport-node";
import { connectNats, type NatsSettings } from "../nats/connect.ts";
import { type DurableConsumerSpec, filterOf, type RunningConsumer, startConsumer } from "./consumer.ts";
import type { EventContract, PayloadIn } from "./contracts.ts";
import { type CoreEvent, type CoreSubscription, coreMessage, decodeCore, publishCore, subscribeCore } from "./core.ts";
import { type Delivery, deadLetterHeaders, defaultDlqSubject, processBatch } from "./delivery.ts";
import type { EventContext } from "./headers.ts";
import { type EventPublisher, envelopeHeaders, jetStreamPublisher } from "./publisher.ts";
import type { EventsLogger } from "./relay.ts";
import { provisionStreams, type StreamSpec } from "./streams.ts";

/**
 * Where a service's events go and come from: JetStream and core NATS in production, memory in the
 * single-process dev stack. Durable events still go through the outbox (the relay publishes through
 * `publisher`) and the inbox (consumers started by `consume`), whichever bus is used.
 */
export interface EventBus {
  /** What the outbox relay publishes through; resolves once the event is stored. */
  readonly publisher: EventPublisher;
  /** Creates or updates streams (a no-op in memory). */
  provision(streams: readonly StreamSpec[]): Promise<void>;
  /** Starts a durable consumer. */
  consume<E extends EventContract, T extends Record<string, unknown>>(
    spec: DurableConsumerSpec<E, T>,
  ): Promise<RunningConsumer>;
  /** Fire-and-forget publish of a core event. */
  publishCore<E extends EventContract>(event: E, payload: PayloadIn<E>, ctx?: EventContext): void;
  subscribeCore<E extends EventContract>(
    event: E,
    handler: (event: CoreEvent<E>) => void | Promise<void>,
    options?: { queue?: string },
  ): CoreSubscription;
  /** Resolves when the bus is reachable (readiness). */
  ping(): Promise<void>;
  close(): Promise<void>;
}

/**
 * An EventBus over one NATS connection with JetStream. `replicas` (default 1) applies to every stream it
 * provisions whose spec names none; an existing stream is updated to it.
 */
export async function natsEventBus(
  nc: NatsConnection,
  logger: EventsLogger,
  options: { replicas?: number } = {},
): Promise<EventBus> {
  const js = jetstream(nc);
  // No account-info request here: on a cluster that is electing leaders it can time out and stop the service
  // at start, while provisioning, which comes next, retries what is transient.
  const jsm = await jetstreamManager(nc, { checkAPI: false });
  return {
    publisher: jetStreamPublisher(js, { nc }),
    async provision(streams) {
      await provisionStreams(
        jsm,
        streams.map((s) => ({ ...s, replicas: s.replicas ?? options.replicas })),
      );
    },
    consume: (spec) => startConsumer({ ...spec, js, jsm }),
    publishCore: (event, payload, ctx) => publishCore(nc, event, payload, ctx),
    subscribeCore: (event, handler, options = {}) => subscribeCore(nc, event, handler, { logger, ...options }),
    async ping() {
      await nc.flush();
    },
    async close() {
      await nc.drain();
    },
  };
}

/** Matches a NATS subject against a filter with `*` and `>` wildcards. */
export function subjectMatches(filter: string, subject: string): boolean {
  const f = filter.split(".");
  const s = subject.split(".");
  for (let i = 0; i < f.length; i++) {
    if (f[i] === ">") return s.length > i;
    if (i >= s.length || (f[i] !== "*" && f[i] !== s[i])) return false;
  }
  return f.length === s.length;
}

interface LocalMessage extends Delivery {
  id: string;
}

interface DurableState {
  /** Index of the next message of the log this durable has not seen. */
  next: number;
  /** Messages taken but not yet acked or dead-lettered (redelivered when the durable restarts). */
  unacked: Map<string, LocalMessage>;
  running: boolean;
}

const encoder = new TextEncoder();

/**
 * An in-process EventBus for the single-process dev stack: a durable publish appends to an in-memory
 * log (deduplicated by event id, like JetStream's window), each durable consumer keeps its position in
 * it and processes messages with the same inbox transaction, retries and dead-lettering as over NATS.
 * Nothing survives the process: the outbox keeps what was not yet published.
 */
export function localEventBus(logger: EventsLogger, options: { maxLog?: number } = {}): EventBus {
  const maxLog = options.maxLog ?? 100_000;
  const log: LocalMessage[] = [];
  let dropped = 0; // messages trimmed from the head of the log; indices are absolute
  const seen = new Set<string>();
  const durables = new Map<string, DurableState>();
  const wakers = new Set<() => void>();
  const core = new Map<string, Set<(data: Uint8Array, headers: Record<string, string>) => void>>();

  function deliverCore(subject: string, data: Uint8Array, headers: Record<string, string>) {
    const lower = Object.fromEntries(Object.entries(headers).map(([k, v]) => [k.toLowerCase(), v]));
    for (const [filter, handlers] of core) {
      if (subjectMatches(filter, subject)) for (const h of handlers) h(data, lower);
    }
  }

  const publisher: EventPublisher = {
    async publish(event) {
      if (seen.has(event.id)) return;
      seen.add(event.id);
      const headers = Object.fromEntries(Object.entries(envelopeHeaders(event)).map(([k, v]) => [k.toLowerCase(), v]));
      log.push({
        id: event.id,
        subject: event.subject,
        data: encoder.encode(JSON.stringify(event.payload)),
        headers,
        deliveryCount: 0,
      });
      if (log.length > maxLog) {
        const old = log.shift();
        if (old) seen.delete(old.id);
        dropped++;
      }
      for (const wake of wakers) wake();
    },
  };

  return {
    publisher,
    async provision() {},
    async consume(spec) {
      const filters = filterOf(spec);
      const concurrency = spec.concurrency ?? 8;
      const dlqSubject = spec.dlqSubject ?? defaultDlqSubject;
      let state = durables.get(spec.durable);
      if (state?.running) throw new Error(`durable ${spec.durable} already runs in this process`);
      if (!state) {
        state = { next: 0, unacked: new Map(), running: false };
        durables.set(spec.durable, state);
      }
      const st = state;
      st.running = true;
      // Redeliver what a previous run of this durable left unacknowledged.
      const queue: LocalMessage[] = [...st.unacked.values()];
      const inflight = new Set<Promise<void>>();
      const timers = new Set<Timer>();

      const batchSize = Math.max(1, Math.min(spec.batchSize ?? concurrency, concurrency));
      const transactions = Math.max(
        1,
        spec.transactions ?? Math.min(concurrency, Math.ceil(concurrency / batchSize) + 1),
      );
      let handling = 0;

      // The same batching as over JetStream (see processBatch), so dev exercises shared transactions too.
      const settle = async (batch: LocalMessage[]) => {
        const deliveries = batch.map((msg): Delivery => {
          msg.deliveryCount++;
          if (msg.deliveryCount > 1) spec.metrics?.redelivered.inc({ subject: msg.subject, durable: spec.durable });
          return { ...msg, deliveryCount: msg.deliveryCount };
        });
        const outcomes = await processBatch(deliveries, spec);
        for (let i = 0; i < batch.length; i++) {
          const msg = batch[i]!;
          const delivery = deliveries[i]!;
          const outcome = outcomes[i]!;
          if (outcome.kind === "retry") {
            const t = setTimeout(() => {
              timers.delete(t);
              queue.push(msg);
              pump();
            }, outcome.delayMs);
            timers.add(t);
            spec.onSettled?.({ id: msg.id, subject: msg.subject, outcome: "retry", deliveryCount: msg.deliveryCount });
            continue;
          }
          st.unacked.delete(msg.id);
          if (outcome.kind === "dead") {
            const headers = deadLetterHeaders(delivery, outcome.error, { durable: spec.durable });
            deliverCore(dlqSubject(msg.subject), msg.data, headers);
            spec.metrics?.deadLettered.inc({ subject: msg.subject, durable: spec.durable });
            logger.error({ subject: msg.subject, eventId: msg.id, error: outcome.error }, "event dead-lettered");
          } else {
            spec.metrics?.consumed.inc({ subject: msg.subject, durable: spec.durable, result: outcome.kind });
          }
          spec.onSettled?.({
            id: msg.id,
            subject: msg.subject,
            outcome: outcome.kind,
            deliveryCount: msg.deliveryCount,
          });
        }
      };

      function pump() {
        if (!st.running) return;
        st.next = Math.max(st.next, dropped); // trimmed before this durable saw them: gone, as past max_msgs
        while (st.next - dropped < log.length) {
          const msg = log[st.next - dropped];
          st.next++;
          if (msg && filters.some((f) => subjectMatches(f, msg.subject))) {
            const copy = { ...msg, deliveryCount: 0 };
            st.unacked.set(copy.id, copy);
            queue.push(copy);
          }
        }
        while (queue.length && inflight.size < transactions && handling < concurrency) {
          const batch = queue.splice(0, Math.min(batchSize, concurrency - handling));
          handling += batch.length;
          const p: Promise<void> = settle(batch)
            .catch((err) => logger.error({ err, size: batch.length }, "consumer failed to settle messages"))
            .finally(() => {
              inflight.delete(p);
              handling -= batch.length;
              pump();
            });
          inflight.add(p);
        }
      }
      wakers.add(pump);
      queueMicrotask(pump);
      return {
        async stop() {
          st.running = false;
          wakers.delete(pump);
          for (const t of timers) clearTimeout(t);
          await Promise.all(inflight);
        },
      };
    },
    publishCore(event, payload, ctx) {
      const { data, headers } = coreMessage(event, payload, ctx);
      // Asynchronous like a network publish: the publisher never runs subscribers' code.
      queueMicrotask(() => deliverCore(event.subject, data, headers));
    },
    subscribeCore(event, handler) {
      const fn = (data: Uint8Array, headers: Record<string, string>) => {
        const received = decodeCore(event, data, headers);
        if (!received) {
          logger.warn({ subject: event.subject }, "dropped a core event that breaks its contract");
          return;
        }
        void Promise.resolve()
          .then(() => handler(received))
          .catch((err) => logger.error({ err, subject: event.subject }, "core event handler failed"));
      };
      let set = core.get(event.subject);
      if (!set) {
        set = new Set();
        core.set(event.subject, set);
      }
      set.add(fn);
      return { stop: async () => void set.delete(fn) };
    },
    async ping() {},
    async close() {
      wakers.clear();
    },
  };
}

/**
 * Connects the event bus a config asks for: NATS with JetStream when its `nats` section has a URL (every
 * server of a list, reconnecting forever), else an in-process bus (optionally shared by all services of one
 * process), and provisions the given streams.
 * @example const events = await connectEventBus({ nats: config.nats, name: "orders", logger, replicas: 3, streams });
 */
export async function connectEventBus(options: {
  nats: NatsSettings;
  name: string;
  logger: EventsLogger;
  /** Replicas of every stream provisioned through the bus (config `events.replicas`; default 1). */
  replicas?: number;
  streams?: readonly StreamSpec[];
  /** The in-process bus to use without a URL (the dev stack passes one shared bus to every service). */
  local?: EventBus;
}): Promise<EventBus> {
  let bus: EventBus;
  const { url } = options.nats;
  if (!url) {
    bus = options.local ?? localEventBus(options.logger);
  } else {
    const nc = await connectNats({ ...options.nats, url }, { name: options.name });
    bus = await natsEventBus(nc, options.logger, { replicas: options.replicas });
  }
  if (options.streams?.length) await bus.provision(options.streams);
  return bus;
}
