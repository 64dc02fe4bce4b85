import { Counter, collectDefaultMetrics, Gauge, Registry } from "prom-client";
import { FastHistogram, type Observer } from "./fast-histogram.ts";

export { FastHistogram, type Observer } from "./fast-histogram.ts";

/** Prometheus metrics of one service: its own registry, the HTTP middleware and the scrape handler. */
export interface Metrics {
  registry: Registry;
  /** Records one finished request's duration by method, route pattern and status. */
  observeRequest(method: string, route: string, status: number, seconds: number): void;
  /**
   * The recorder of one endpoint on one transport: each finished call's duration by result code (`ok` or
   * the error code). Taken once when the endpoint is wrapped, so a call looks up only its code.
   */
  endpointObserver(endpoint: string, transport: string): (code: string, seconds: number) => void;
  /** Answers a scrape in Prometheus text format. */
  handler: () => Promise<Response>;
}

/**
 * Creates a registry with process metrics, `build_info{service,version}` and
 * `http_request_duration_seconds{method,route,status}`, `endpoint_request_duration_seconds{endpoint,transport,code}`
 * and, given `droppedSpans`, `otel_spans_dropped_total`.
 * @example const metrics = createMetrics({ service: "users", version, droppedSpans: telemetry.droppedSpans });
 */
export function createMetrics(options: {
  service: string;
  version: string;
  prefix?: string;
  /** How many finished spans were never exported (read at each scrape). */
  droppedSpans?: () => number;
}): Metrics {
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

  const endpointDuration = new FastHistogram(
    "endpoint_request_duration_seconds",
    "Endpoint call duration by endpoint, transport and result code, whatever the transport",
    ["endpoint", "transport", "code"],
    [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5],
    registry,
  );
  const endpointObserver = (endpoint: string, transport: string) => {
    const byCode = new Map<string, Observer>();
    return (code: string, seconds: number) => {
      let observer = byCode.get(code);
      if (!observer) {
        observer = endpointDuration.series(endpoint, transport, code);
        byCode.set(code, observer);
      }
      observer.observe(seconds);
    };
  };
  const droppedSpans = options.droppedSpans;
  if (droppedSpans) {
    new Counter({
      name: "otel_spans_dropped_total",
      help: "Finished trace spans never exported: the export queue was full or the collector failed",
      registers: [registry],
      collect() {
        this.reset();
        this.inc(droppedSpans());
      },
    });
  }

  const handler = async () =>
    new Response(await registry.metrics(), { headers: { "content-type": registry.contentType } });

  return { registry, observeRequest, endpointObserver, handler };
}
