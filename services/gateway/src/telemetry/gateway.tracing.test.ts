// The gateway's spans against real local backends and an in-test OTLP receiver.
import { afterAll, describe, expect, test } from "bun:test";
import type { AccessEntry } from "@shared/log";
import { createTelemetry } from "@shared/telemetry";
import { startOtlpReceiver } from "@shared/telemetry/testing.ts";
import { createFeatures } from "../features.ts";
import { memoryLogger, startBackend, startGateway, stopAll } from "../testing/harness.ts";
import { gatewayTracing } from "./request.trace.ts";
import { gatewayTelemetrySettings } from "./telemetry.config.ts";

const receiver = startOtlpReceiver();
afterAll(async () => {
  stopAll();
  await receiver.stop();
});

const users = startBackend(() => Response.json({ name: "ann" }));
const orders = startBackend(() => Response.json({ orders: [1] }));
const catalog = startBackend(() => Response.json({ products: [1] }, { headers: { "cache-control": "max-age=60" } }));
const failing = startBackend(() => new Response("down", { status: 503 }));
const clientTrace = "4bf92f3577b34da6a3ce929d0e0e4736";
const clientSpan = "00f067aa0ba902b7";

function gatewayWith(
  extra: Record<string, unknown>,
  env: Record<string, string>,
  options: { accessWriter?: boolean; features?: ReturnType<typeof createFeatures> } = {},
) {
  const settings = gatewayTelemetrySettings(extra, { OTEL_BSP_SCHEDULE_DELAY: "10", ...env });
  const telemetry = createTelemetry({
    config: { ...settings.telemetry, sampler: "always_on" },
    service: "gateway",
    version: "1",
  });
  const tracing = gatewayTracing(telemetry.tracer, { ...settings.telemetry, continueTrace: settings.continueTrace });
  const access: AccessEntry[] = [];
  const gw = startGateway(
    {
      extra_config: extra,
      endpoints: [
        {
          endpoint: "/api/me",
          backend: [
            { host: [users.url], url_pattern: "/users/me", group: "profile" },
            { host: [orders.url], url_pattern: "/orders", group: "orders" },
          ],
        },
        {
          endpoint: "/api/users/{id}",
          output_encoding: "no-op",
          backend: [{ host: [users.url], url_pattern: "/users/{id}" }],
        },
        {
          // a cached backend behind a decoded (JSON) endpoint: no pass-through fast path
          endpoint: "/api/products",
          backend: [{ host: [catalog.url], url_pattern: "/products", extra_config: { "qos/http-cache": {} } }],
        },
        {
          endpoint: "/api/failing",
          output_encoding: "no-op",
          backend: [
            {
              host: [failing.url],
              url_pattern: "/",
              extra_config: {
                "qos/circuit-breaker": { interval: 60, timeout: 10, max_errors: 0, log_status_change: true },
              },
            },
          ],
        },
      ],
    },
    options.features ?? createFeatures(),
    { tracing, accessWriter: options.accessWriter === false ? undefined : (e) => access.push(e) },
  );
  return { gw, telemetry, access };
}

const otlp = (extra: Record<string, unknown> = {}) => ({
  "telemetry/opentelemetry": {
    service_name: "edge",
    exporters: {
      otlp: [{ name: "local", host: "127.0.0.1", port: Number(new URL(receiver.url).port), use_http: true }],
    },
    ...extra,
  },
});

describe("gateway tracing", () => {
  test("a merge continues the client's trace: a server span and one client span per backend, tracestate forwarded", async () => {
    const { gw, telemetry, access } = gatewayWith(otlp(), {});
    const res = await fetch(`${gw.url}/api/me`, {
      headers: { traceparent: `00-${clientTrace}-${clientSpan}-01`, tracestate: "shop=1" },
    });
    expect(res.status).toBe(200);
    await telemetry.shutdown();
    const spans = receiver.spans.filter((s) => s.traceId === clientTrace && s.service === "edge");
    const server = spans.find((s) => s.kind === 2)!;
    expect(server.name).toBe("GET /api/me");
    expect(server.parentSpanId).toBe(clientSpan);
    const clients = spans.filter((s) => s.kind === 3);
    expect(clients.length).toBe(2);
    for (const c of clients) expect(c.parentSpanId).toBe(server.spanId);
    const sent = [users.seen.at(-1)!, orders.seen.at(-1)!].map((s) => s.headers.traceparent);
    expect(sent.sort()).toEqual(clients.map((c) => `00-${clientTrace}-${c.spanId}-01`).sort());
    expect(users.seen.at(-1)!.headers.tracestate).toBe("shop=1");
    expect(access.at(-1)).toMatchObject({ traceId: clientTrace, spanId: server.spanId });
  });

  test("disable_propagation restarts the trace at the gateway", async () => {
    const { gw, telemetry } = gatewayWith(otlp({ layers: { global: { disable_propagation: true } } }), {});
    await fetch(`${gw.url}/api/users/7`, { headers: { traceparent: `00-${"1".repeat(32)}-${clientSpan}-01` } });
    await telemetry.shutdown();
    const seen = users.seen.at(-1)!.headers.traceparent!;
    expect(seen).not.toContain("1".repeat(32));
    expect(receiver.spans.some((s) => s.traceId === seen.split("-")[1] && s.kind === 2 && s.parentSpanId === "")).toBe(
      true,
    );
  });

  test("at sample rate 0 no span is made and the backend is told the trace is not sampled", async () => {
    const { gw, telemetry, access } = gatewayWith(otlp({ trace_sample_rate: 0 }), {});
    const before = receiver.spans.length;
    await fetch(`${gw.url}/api/users/8`);
    await telemetry.shutdown();
    expect(receiver.spans.length).toBe(before);
    const sent = users.seen.at(-1)!.headers.traceparent!;
    expect(sent.endsWith("-00")).toBe(true);
    expect(access.at(-1)?.spanId).toBe(sent.split("-")[2]);
  });

  test("OTEL variables win over the gateway config, and a bad sampler names its key", () => {
    expect(
      gatewayTelemetrySettings(otlp({ trace_sample_rate: 0.5 }), { OTEL_TRACES_SAMPLER_ARG: "0.25" }).telemetry
        .samplerArg,
    ).toBe(0.25);
    expect(() => gatewayTelemetrySettings(undefined, { OTEL_TRACES_SAMPLER: "maybe" })).toThrow("telemetry.sampler");
  });

  test("a cached call off the pass-through fast path marks its backend span as a cache miss, then as a hit", async () => {
    const { gw, telemetry } = gatewayWith(otlp(), {});
    const traces = ["a", "b"].map((c) => c.repeat(32));
    for (const t of traces) {
      const res = await fetch(`${gw.url}/api/products`, { headers: { traceparent: `00-${t}-${clientSpan}-01` } });
      expect(res.status).toBe(200);
    }
    await telemetry.shutdown();
    const hitOf = (traceId: string) =>
      receiver.spans.find((s) => s.traceId === traceId && s.kind === 3)?.attributes["gateway.cache.hit"];
    expect(traces.map(hitOf)).toEqual([false, true]);
    expect(catalog.seen.length).toBe(1);
  });

  test("every line a traced request writes carries its trace id and span id: the breaker's and the access line", async () => {
    const lines = memoryLogger();
    const { gw, telemetry } = gatewayWith(otlp(), {}, { accessWriter: false, features: createFeatures(lines) });
    const trace = "c".repeat(32);
    const res = await fetch(`${gw.url}/api/failing`, { headers: { traceparent: `00-${trace}-${clientSpan}-01` } });
    expect(res.status).toBe(503);
    await telemetry.shutdown();
    const server = receiver.spans.find((s) => s.traceId === trace && s.kind === 2)!;
    const backend = receiver.spans.find((s) => s.traceId === trace && s.kind === 3)!;
    // the backend got the trace the lines name, from a span beneath the one they name
    expect(failing.seen.at(-1)!.headers.traceparent).toBe(`00-${trace}-${backend.spanId}-01`);
    expect(backend.parentSpanId).toBe(server.spanId);
    const breaker = lines.lines.find((l) => l.msg === "circuit breaker changed state");
    expect(breaker?.obj).toMatchObject({ trace_id: trace, span_id: server.spanId, to: "open" });
    const access = gw.logger.lines.find((l) => l.msg === "request");
    expect(access?.obj).toMatchObject({ trace_id: trace, span_id: server.spanId });
  });
});
