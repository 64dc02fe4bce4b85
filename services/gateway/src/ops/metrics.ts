// Prometheus metrics of the gateway: request and backend durations (the kit's FastHistogram), cache hits
// and breaker states.
import { FastHistogram, type Observer } from "@shared/metrics";
import { Counter, Gauge, type Registry } from "prom-client";
import type { Breaker } from "../proxy/endpoint.types.ts";
import type { RequestMetrics } from "../server/proxy.call.ts";

const buckets = [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5];

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
  // hits are plain numbers on the hot path, copied into the counter when Prometheus scrapes
  const hitCounts = new Map<string, { n: number }>();
  new Counter({
    name: "gateway_cache_hits_total",
    help: "Backend answers served from the HTTP cache",
    labelNames: ["backend"],
    registers: [registry],
    collect() {
      this.reset();
      for (const [backend, hits] of hitCounts) this.inc({ backend }, hits.n);
    },
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
      const hits = hitCounts.get(label);
      if (hits === undefined) hitCounts.set(label, { n: 1 });
      else hits.n++;
    },
  };
}
