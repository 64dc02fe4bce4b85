import { describe, expect, test } from "bun:test";
import { context, SpanKind, SpanStatusCode, TraceFlags, trace } from "@opentelemetry/api";
import { TraceState } from "@opentelemetry/core";
import { ProtobufTraceSerializer } from "@opentelemetry/otlp-transformer";
import { resourceFromAttributes } from "@opentelemetry/resources";
import { InMemorySpanExporter, type ReadableSpan, SimpleSpanProcessor, TracerProvider } from "@opentelemetry/sdk-trace";
import { decodeProtobufTraces } from "./otlp-decode.ts";
import { createTraceEncoder } from "./otlp-encode.ts";

const official = (spans: ReadableSpan[]) => ProtobufTraceSerializer.serializeRequest(spans) as Uint8Array;

function providerOf(attributes: Record<string, string>) {
  const exporter = new InMemorySpanExporter();
  const provider = new TracerProvider({
    resource: resourceFromAttributes(attributes),
    spanLimits: { eventCountLimit: 3, linkCountLimit: 2, attributeCountLimit: 40 },
    spanProcessors: [new SimpleSpanProcessor({ exporter })],
  });
  return { provider, exporter };
}

/** Spans of every shape, from two resources and three scopes, interleaved. */
function spansOfEveryShape(): ReadableSpan[] {
  const a = providerOf({ "service.name": "users", "service.version": "1.2.3", "deployment.environment": "ci" });
  const b = providerOf({ "service.name": "gateway", "host.name": "héllo-wörld" });
  const remote = trace.setSpanContext(context.active(), {
    traceId: "0af7651916cd43dd8448eb211c80319c",
    spanId: "b7ad6b7169203331",
    traceFlags: TraceFlags.SAMPLED,
    isRemote: true,
    traceState: new TraceState("vendor=abc,other=x:y"),
  });
  const http = a.provider.getTracer("http", "0.1.0");
  const db = a.provider.getTracer("db");
  const proxy = b.provider.getTracer("proxy", "2.0.0", { schemaUrl: "https://opentelemetry.io/schemas/1.30.0" });
  const kinds = [SpanKind.INTERNAL, SpanKind.SERVER, SpanKind.CLIENT, SpanKind.PRODUCER, SpanKind.CONSUMER];
  for (const kind of kinds) {
    const root = http.startSpan(`root ${kind}`, { kind, startTime: [1_765_000_000, 123_456_789] });
    const ctx = trace.setSpan(context.active(), root);
    const child = db.startSpan("SELECT users", { kind: SpanKind.CLIENT }, ctx);
    child.setAttributes({
      "db.system": "postgresql",
      ok: true,
      "not.ok": false,
      rows: 42,
      negative: -7,
      "very.negative": -(2 ** 40) - 3,
      large: Number.MAX_SAFE_INTEGER,
      larger: 2 ** 60,
      ratio: 0.25,
      zero: 0,
      strings: ["a", "é", ""],
      numbers: [1, -2, 3.5],
      bools: [true, false],
      "with.holes": ["x", null, "y"] as string[],
      empty: [],
      unicode: "żółć 🚀",
      long: "x".repeat(300),
      "very.long": "ü".repeat(20_000),
    });
    child.addEvent("cache miss", { key: "user:1", attempt: 2 }, [1_765_000_000, 999_999_999]);
    child.addEvent("plain");
    child.end([1_765_000_001, 5]);
    root.setStatus({ code: SpanStatusCode.ERROR, message: "upstream answered 503" });
    root.end();
  }
  const linked = proxy.startSpan(
    "GET /users/:id",
    {
      kind: SpanKind.SERVER,
      links: [
        { context: { traceId: "1".repeat(32), spanId: "2".repeat(16), traceFlags: 0, isRemote: true } },
        {
          context: {
            traceId: "abcdef0123456789abcdef0123456789",
            spanId: "0123456789abcdef",
            traceFlags: TraceFlags.SAMPLED,
            traceState: new TraceState("k=v"),
          },
          attributes: { "link.reason": "retry", n: 3 },
        },
        { context: { traceId: "3".repeat(32), spanId: "4".repeat(16), traceFlags: 1 } },
      ],
    },
    remote,
  );
  for (let i = 0; i < 5; i++) linked.addEvent(`event ${i}`, { i });
  for (let i = 0; i < 45; i++) linked.setAttribute(`attr.${i}`, i);
  linked.setStatus({ code: SpanStatusCode.OK });
  linked.end();
  const spans = [...a.exporter.getFinishedSpans(), ...b.exporter.getFinishedSpans()];
  // interleave the resources so grouping, not input order, decides the layout
  return spans.sort((x, y) => x.name.localeCompare(y.name));
}

describe("the OTLP trace encoder", () => {
  const spans = spansOfEveryShape();

  test("writes the bytes the official protobuf serializer writes, for spans of every shape", () => {
    expect(spans).toHaveLength(11);
    const ours = createTraceEncoder()(spans);
    expect(Buffer.from(ours).equals(Buffer.from(official(spans)))).toBe(true);
  });

  test("decodes to the spans it was given: ids, parents, kinds, attributes, events, links and statuses", () => {
    const decoded = decodeProtobufTraces(createTraceEncoder()(spans));
    expect(decoded).toHaveLength(spans.length);
    expect(decoded).toEqual(decodeProtobufTraces(official(spans)));
    const child = decoded.find((s) => s.name === "SELECT users");
    expect(child).toMatchObject({
      service: "users",
      kind: 3,
      attributes: {
        rows: 42,
        negative: -7,
        "very.negative": -(2 ** 40) - 3,
        large: Number.MAX_SAFE_INTEGER,
        ratio: 0.25,
      },
      events: [
        { name: "cache miss", attributes: { key: "user:1", attempt: 2 } },
        { name: "plain", attributes: {} },
      ],
    });
    const linked = decoded.find((s) => s.name === "GET /users/:id");
    expect(linked).toMatchObject({
      service: "gateway",
      kind: 2,
      traceId: "0af7651916cd43dd8448eb211c80319c",
      parentSpanId: "b7ad6b7169203331",
      traceState: "vendor=abc,other=x:y",
      statusCode: 1,
    });
    expect(linked?.links).toHaveLength(2);
    expect(decoded.filter((s) => s.name.startsWith("root")).map((s) => [s.kind, s.statusCode])).toEqual([
      [1, 2],
      [2, 2],
      [3, 2],
      [4, 2],
      [5, 2],
    ]);
  });

  test("keeps every earlier result intact when it encodes again, and grows past its first buffer", () => {
    const encode = createTraceEncoder();
    const first = encode(spans.slice(0, 3));
    const copy = Buffer.from(first);
    const many = Array.from({ length: 40 }, () => spans).flat();
    const big = encode(many);
    expect(big.length).toBeGreaterThan(64 * 1024);
    expect(Buffer.from(big).equals(Buffer.from(official(many)))).toBe(true);
    expect(Buffer.from(first).equals(copy)).toBe(true);
    expect(Buffer.from(encode(spans.slice(0, 3))).equals(copy)).toBe(true);
  });

  test("writes an empty request for no spans", () => {
    expect(createTraceEncoder()([])).toEqual(new Uint8Array(0));
  });
});
