import { afterAll, describe, expect, test } from "bun:test";
import { SpanKind } from "@opentelemetry/api";
import { defineServiceConfig } from "../config/base.ts";
import { ConfigError } from "../config/errors.ts";
import { loadConfig } from "../config/load.ts";
import { inSpan } from "./context.ts";
import { startOtlpReceiver } from "./receiver.ts";
import { createTelemetry } from "./telemetry.ts";

const schema = defineServiceConfig("users");
const configFrom = (env: Record<string, string>) => loadConfig({ schema, env }).telemetry;

function configError(run: () => unknown): ConfigError {
  try {
    run();
  } catch (err) {
    if (err instanceof ConfigError) return err;
    throw err;
  }
  throw new Error("expected a ConfigError");
}

const receiver = startOtlpReceiver();
afterAll(() => receiver.stop());

describe("telemetry config", () => {
  test("the standard OTEL variables fill the telemetry section", () => {
    const config = configFrom({
      OTEL_EXPORTER_OTLP_ENDPOINT: "http://collector:4318",
      OTEL_EXPORTER_OTLP_PROTOCOL: "http/json",
      OTEL_TRACES_SAMPLER: "traceidratio",
      OTEL_TRACES_SAMPLER_ARG: "0.25",
      OTEL_BSP_MAX_QUEUE_SIZE: "100",
    });
    expect(config).toMatchObject({
      endpoint: "http://collector:4318",
      protocol: "http/json",
      sampler: "traceidratio",
      samplerArg: 0.25,
      batch: { maxQueueSize: 100 },
    });
  });

  test("the default sampler is parent-based trace-id ratio and nothing is configured to export", () => {
    const config = configFrom({});
    expect(config.sampler).toBe("parentbased_traceidratio");
    expect(createTelemetry({ config, service: "users", version: "1" }).tracer).toBeNull();
  });

  test("an unknown sampler is refused naming its key and variable", () => {
    const err = configError(() => configFrom({ OTEL_TRACES_SAMPLER: "sometimes" }));
    expect(err.message).toContain("telemetry.sampler");
    expect(err.message).toContain("OTEL_TRACES_SAMPLER");
  });

  test("a malformed endpoint URL is refused naming its key", () => {
    const err = configError(() => configFrom({ OTEL_EXPORTER_OTLP_ENDPOINT: "collector:4318" }));
    expect(err.message).toContain("telemetry.endpoint");
  });

  test("a malformed header list is refused naming its key", () => {
    const config = configFrom({ OTEL_EXPORTER_OTLP_ENDPOINT: "http://127.0.0.1:1", OTEL_EXPORTER_OTLP_HEADERS: "x" });
    const err = configError(() => createTelemetry({ config, service: "users", version: "1" }));
    expect(err.message).toContain("telemetry.headers");
  });

  test("OTEL_SDK_DISABLED switches tracing off even with an endpoint", () => {
    const config = configFrom({ OTEL_EXPORTER_OTLP_ENDPOINT: "http://127.0.0.1:1", OTEL_SDK_DISABLED: "true" });
    expect(createTelemetry({ config, service: "users", version: "1" }).tracer).toBeNull();
  });
});

describe("telemetry export", () => {
  for (const protocol of ["http/protobuf", "http/json"]) {
    test(`spans reach an OTLP receiver over ${protocol} with the service's resource, flushed by shutdown`, async () => {
      const config = configFrom({
        OTEL_EXPORTER_OTLP_ENDPOINT: receiver.url,
        OTEL_EXPORTER_OTLP_PROTOCOL: protocol,
        OTEL_RESOURCE_ATTRIBUTES: "deployment.environment.name=test",
      });
      const telemetry = createTelemetry({ config, service: `svc-${protocol}`, version: "1.2.3" });
      const tracer = telemetry.tracer!;
      await inSpan(tracer, "outer", { kind: SpanKind.SERVER }, () =>
        inSpan(tracer, "inner", {}, async () => undefined),
      );
      await telemetry.shutdown();
      const spans = receiver.spans.filter((s) => s.service === `svc-${protocol}`);
      expect(spans.map((s) => s.name).sort()).toEqual(["inner", "outer"]);
      const outer = spans.find((s) => s.name === "outer")!;
      expect(outer.kind).toBe(2);
      expect(spans.find((s) => s.name === "inner")?.parentSpanId).toBe(outer.spanId);
      expect(outer.resource).toMatchObject({
        "service.version": "1.2.3",
        "deployment.environment.name": "test",
      });
      expect(typeof outer.resource["service.instance.id"]).toBe("string");
      expect(receiver.contentTypes.at(-1)).toContain(protocol === "http/json" ? "json" : "protobuf");
    });
  }

  test("a dead collector neither slows nor fails work: its spans are counted as dropped", async () => {
    const config = configFrom({
      OTEL_EXPORTER_OTLP_ENDPOINT: "http://127.0.0.1:1",
      OTEL_BSP_SCHEDULE_DELAY: "10",
      OTEL_BSP_EXPORT_TIMEOUT: "500",
      OTEL_BSP_MAX_QUEUE_SIZE: "50",
    });
    const warnings: object[] = [];
    const telemetry = createTelemetry({
      config,
      service: "dead",
      version: "1",
      logger: { warn: (o) => warnings.push(o) },
    });
    const started = performance.now();
    for (let i = 0; i < 200; i++) telemetry.tracer!.startSpan(`s${i}`).end();
    expect(performance.now() - started).toBeLessThan(200);
    expect(telemetry.droppedSpans()).toBeGreaterThanOrEqual(150);
    await telemetry.shutdown();
    expect(telemetry.droppedSpans()).toBe(200);
    expect(warnings.length).toBe(1);
  });
});
