// Prometheus metrics of the gateway: request and backend durations, cache hits and breaker states.
// The duration histograms are our own (`FastHistogram`): prom-client hashes the label object on every
// observation (measured: ~3% of the gateway's CPU on a plain proxy); here a series is found through
// nested maps keyed by the label values themselves, and the registry formats them at scrape time.
import { Counter, Gauge, type Registry } from "prom-client";
import type { Breaker } from "../proxy/endpoint.types.ts";
import type { RequestMetrics } from "../server/gateway.server.ts";

const buckets = [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5];

/** One label set of a histogram. */
class Series {
  readonly counts: Float64Array;
  sum = 0;
  count = 0;
  constructor(
    readonly labels: Record<string, string>,
    size: number,
  ) {
    this.counts = new Float64Array(size);
  }
}

/** A label set's observer: `observe(seconds)`. */
export interface Observer {
  observe(value: number): void;
}

/**
 * A histogram with the shape prom-client's `Registry` scrapes (`name`, `help`, `type`, `get()`), whose
 * series are looked up by label values without building or hashing a label object.
 */
export class FastHistogram {
  readonly type = "histogram";
  readonly aggregator = "sum";
  private readonly root = new Map<string, unknown>();
  private readonly all: Series[] = [];

  constructor(
    readonly name: string,
    readonly help: string,
    private readonly labelNames: string[],
    private readonly upper: number[],
    registry: Registry,
  ) {
    registry.registerMetric(this as never);
  }

  /** The series for these label values (in `labelNames` order), created on first use. */
  series(...values: string[]): Observer {
    let node = this.root;
    const last = values.length - 1;
    for (let i = 0; i < last; i++) {
      let next = node.get(values[i]!) as Map<string, unknown> | undefined;
      if (next === undefined) {
        next = new Map();
        node.set(values[i]!, next);
      }
      node = next;
    }
    let s = node.get(values[last]!) as Series | undefined;
    if (s === undefined) {
      const labels: Record<string, string> = {};
      this.labelNames.forEach((n, i) => {
        labels[n] = values[i]!;
      });
      s = new Series(labels, this.upper.length);
      node.set(values[last]!, s);
      this.all.push(s);
    }
    const series = s;
    const upper = this.upper;
    return {
      observe(v: number) {
        let i = 0;
        while (i < upper.length && v > upper[i]!) i++;
        if (i < upper.length) series.counts[i]!++;
        series.sum += v;
        series.count++;
      },
    };
  }

  /** Drops every series. */
  reset(): void {
    this.root.clear();
    this.all.length = 0;
  }

  /** prom-client's metric object, as `Registry.metrics()` formats it. */
  get() {
    type Value = {
      labels: Record<string, string | number>;
      sharedLabels: Record<string, string>;
      value: number;
      metricName: string;
    };
    const values: Value[] = [];
    const bucket = `${this.name}_bucket`;
    for (const s of this.all) {
      let acc = 0;
      this.upper.forEach((le, i) => {
        acc += s.counts[i]!;
        values.push({ labels: { le }, sharedLabels: s.labels, value: acc, metricName: bucket });
      });
      values.push({ labels: { le: "+Inf" }, sharedLabels: s.labels, value: s.count, metricName: bucket });
      values.push({ labels: {}, sharedLabels: s.labels, value: s.sum, metricName: `${this.name}_sum` });
      values.push({ labels: {}, sharedLabels: s.labels, value: s.count, metricName: `${this.name}_count` });
    }
    return { name: this.name, help: this.help, type: this.type, values, aggregator: this.aggregator };
  }
}

/** Registers the gateway's metrics on `registry`; `breakers` is read at scrape time. */
export function createGatewayMetrics(
  registry: Registry,
  breakers: () => { label: string; breaker: Breaker }[],
): RequestMetrics {
  const requests = new FastHistogram(
    "gateway_request_duration_seconds",
    "Gateway request duration by route pattern, method and status",
    ["route", "method", "status"],
    buckets,
    registry,
  );
  const backends = new FastHistogram(
    "gateway_backend_duration_seconds",
    "Backend call duration by backend and outcome",
    ["backend", "outcome"],
    buckets,
    registry,
  );
  const cacheHits = new Counter({
    name: "gateway_cache_hits_total",
    help: "Backend answers served from the HTTP cache",
    labelNames: ["backend"],
    registers: [registry],
  });
  const stateValue = { closed: 0, "half-open": 1, open: 2 } as const;
  new Gauge({
    name: "gateway_circuit_breaker_state",
    help: "Circuit breaker state per backend: 0 closed, 1 half-open, 2 open",
    labelNames: ["backend"],
    registers: [registry],
    collect() {
      this.reset();
      for (const { label, breaker } of breakers()) this.set({ backend: label }, stateValue[breaker.state()]);
    },
  });

  // observers by label values; statuses are numbers, so the request one is keyed without a string
  const requestChildren = new Map<string, Map<string, Map<number, Observer>>>();
  const backendChildren = new Map<string, Map<string, Observer>>();
  const cacheHitChildren = new Map<string, { inc(): void }>();
  return {
    request(route, method, status, seconds) {
      let byMethod = requestChildren.get(route);
      if (byMethod === undefined) {
        byMethod = new Map();
        requestChildren.set(route, byMethod);
      }
      let byStatus = byMethod.get(method);
      if (byStatus === undefined) {
        byStatus = new Map();
        byMethod.set(method, byStatus);
      }
      let child = byStatus.get(status);
      if (child === undefined) {
        child = requests.series(route, method, String(status));
        byStatus.set(status, child);
      }
      child.observe(seconds);
    },
    backend(label, seconds, outcome) {
      let byOutcome = backendChildren.get(label);
      if (byOutcome === undefined) {
        byOutcome = new Map();
        backendChildren.set(label, byOutcome);
      }
      let child = byOutcome.get(outcome);
      if (child === undefined) {
        child = backends.series(label, outcome);
        byOutcome.set(outcome, child);
      }
      child.observe(seconds);
    },
    cacheHit(label) {
      let child = cacheHitChildren.get(label);
      if (child === undefined) {
        child = cacheHits.labels(label);
        cacheHitChildren.set(label, child);
      }
      child.inc();
    },
  };
}
