import { collectDefaultMetrics, Gauge, Registry } from "prom-client";
import { FastHistogram, type Observer } from "./fast-histogram.ts";

export { FastHistogram, type Observer } from "./fast-histogram.ts";

/** Prometheus metrics of one service: its own registry, the HTTP middleware and the scrape handler. */
export interface Metrics {
  registry: Registry;
  /** Records one finished request's duration by method, route pattern and status. */
  observeRequest(method: string, route: string, status: number, seconds: number): void;
  /** Answers a scrape in Prometheus text format. */
  handler: () => Promise<Response>;
}

/**
 * Creates a registry with process metrics, `build_info{service,version}` and
 * `http_request_duration_seconds{method,route,status}`.
 * @example const metrics = createMetrics({ service: "users", version });
 */
export function createMetrics(options: { service: string; version: string; prefix?: string }): Metrics {
  const registry = new Registry();
  registry.setDefaultLabels({ service: options.service });
  collectDefaultMetrics({ register: registry, prefix: options.prefix ?? "" });
  const buildInfo = new Gauge({
    name: "build_info",
    help: "Build information; the value is always 1",
    labelNames: ["version"],
    registers: [registry],
  });
  buildInfo.set({ version: options.version }, 1);
  const duration = new FastHistogram(
    "http_request_duration_seconds",
    "HTTP request duration by method, route pattern and status",
    ["method", "route", "status"],
    [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5],
    registry,
  );
  // One observer per (method, route, status), found through nested maps without building a key.
  const observers = new Map<string, Map<string, Map<number, Observer>>>();
  const observeRequest = (method: string, routePath: string, status: number, seconds: number) => {
    // The route pattern, never the raw path: raw paths would explode label cardinality.
    const route = routePath === "/*" ? "unmatched" : routePath;
    let byRoute = observers.get(method);
    if (!byRoute) {
      byRoute = new Map();
      observers.set(method, byRoute);
    }
    let byStatus = byRoute.get(route);
    if (!byStatus) {
      byStatus = new Map();
      byRoute.set(route, byStatus);
    }
    let observer = byStatus.get(status);
    if (!observer) {
      observer = duration.series(method, route, String(status));
      byStatus.set(status, observer);
    }
    observer.observe(seconds);
  };

  const handler = async () =>
    new Response(await registry.metrics(), { headers: { "content-type": registry.contentType } });

  return { registry, observeRequest, handler };
}
