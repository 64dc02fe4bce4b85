import { Counter, Gauge, type Registry } from "prom-client";

/** The event metrics of ADR 0001, registered once per registry. */
export interface EventMetrics {
  published: Counter<"subject">;
  consumed: Counter<"subject" | "durable" | "result">;
  redelivered: Counter<"subject" | "durable">;
  deadLettered: Counter<"subject" | "durable">;
  backlog: Gauge<"schema">;
  oldestUnsentAge: Gauge<"schema">;
  walRetainedBytes: Gauge<"slot">;
}

const cache = new WeakMap<Registry, EventMetrics>();

/**
 * The event metrics on a registry (created on first call, then shared by the relay and consumers).
 * @example const eventsMetrics = eventMetrics(metrics.registry);
 */
export function eventMetrics(registry: Registry): EventMetrics {
  const found = cache.get(registry);
  if (found) return found;
  const registers = [registry];
  const m: EventMetrics = {
    published: new Counter({
      name: "events_published_total",
      help: "Events published and acknowledged",
      labelNames: ["subject"],
      registers,
    }),
    consumed: new Counter({
      name: "events_consumed_total",
      help: "Events consumed and acknowledged; result is processed or duplicate",
      labelNames: ["subject", "durable", "result"],
      registers,
    }),
    redelivered: new Counter({
      name: "events_redelivered_total",
      help: "Deliveries that were redeliveries",
      labelNames: ["subject", "durable"],
      registers,
    }),
    deadLettered: new Counter({
      name: "events_dead_lettered_total",
      help: "Events sent to the dead-letter subject",
      labelNames: ["subject", "durable"],
      registers,
    }),
    backlog: new Gauge({ name: "outbox_backlog", help: "Unsent outbox rows", labelNames: ["schema"], registers }),
    oldestUnsentAge: new Gauge({
      name: "outbox_oldest_unsent_age_seconds",
      help: "Age of the oldest unsent outbox row; 0 when none",
      labelNames: ["schema"],
      registers,
    }),
    walRetainedBytes: new Gauge({
      name: "outbox_wal_retained_bytes",
      help: "WAL bytes the outbox relay's replication slot retains",
      labelNames: ["slot"],
      registers,
    }),
  };
  cache.set(registry, m);
  return m;
}
