// Prometheus metrics of the gateway: request and backend durations, cache hits and breaker states.
// Label children are cached so the hot path does one map lookup per observation.
import { Counter, Gauge, Histogram, type Registry } from "prom-client";
import type { Breaker } from "../proxy/endpoint.types.ts";
import type { RequestMetrics } from "../server/gateway.server.ts";

const buckets = [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5];

/** Registers the gateway's metrics on `registry`; `breakers` is read at scrape time. */
export function createGatewayMetrics(
  registry: Registry,
  breakers: () => { label: string; breaker: Breaker }[],
): RequestMetrics {
  const requests = new Histogram({
    name: "gateway_request_duration_seconds",
    help: "Gateway request duration by route pattern, method and status",
    labelNames: ["route", "method", "status"],
    buckets,
    registers: [registry],
  });
  const backends = new Histogram({
    name: "gateway_backend_duration_seconds",
    help: "Backend call duration by backend and outcome",
    labelNames: ["backend", "outcome"],
    buckets,
    registers: [registry],
  });
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

  const requestChildren = new Map<string, { observe(v: number): void }>();
  const backendChildren = new Map<string, { observe(v: number): void }>();
  return {
    request(route, method, status, seconds) {
      const key = `${route}\u0000${method}\u0000${status}`;
      let child = requestChildren.get(key);
      if (!child) {
        child = requests.labels(route, method, String(status));
        requestChildren.set(key, child);
      }
      child.observe(seconds);
    },
    backend(label, seconds, outcome) {
      const key = `${label}\u0000${outcome}`;
      let child = backendChildren.get(key);
      if (!child) {
        child = backends.labels(label, outcome);
        backendChildren.set(key, child);
      }
      child.observe(seconds);
    },
    cacheHit(label) {
      cacheHits.inc({ backend: label });
    },
  };
}
