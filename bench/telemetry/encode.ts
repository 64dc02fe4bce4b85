// OTLP/protobuf trace encoding, official `ProtobufTraceSerializer` against our `createTraceEncoder`, in one run:
// batches of typical server and client spans (a dozen attributes, one event on some), µs per span and the ratio.
//   bun bench/telemetry/encode.ts [--batch 512] [--rounds 400]
import { context, SpanKind, trace } from "@opentelemetry/api";
import { ProtobufTraceSerializer } from "@opentelemetry/otlp-transformer";
import { resourceFromAttributes } from "@opentelemetry/resources";
import { InMemorySpanExporter, type ReadableSpan, SimpleSpanProcessor, TracerProvider } from "@opentelemetry/sdk-trace";
import { createTraceEncoder } from "../../shared/telemetry/otlp-encode.ts";

const args = process.argv.slice(2);
const option = (name: string, fallback: number) => {
  const at = args.indexOf(name);
  return at >= 0 ? Number(args[at + 1]) : fallback;
};
const batch = option("--batch", 512);
const rounds = option("--rounds", 400);

const exporter = new InMemorySpanExporter();
const provider = new TracerProvider({
  resource: resourceFromAttributes({
    "service.name": "users",
    "service.version": "0.1.0",
    "service.instance.id": crypto.randomUUID(),
  }),
  spanProcessors: [new SimpleSpanProcessor({ exporter })],
});
const tracer = provider.getTracer("@shared/http", "0.1.0");
for (let i = 0; i < batch / 2; i++) {
  const server = tracer.startSpan("GET /users/:id", {
    kind: SpanKind.SERVER,
    attributes: {
      "http.request.method": "GET",
      "url.path": `/users/${i}`,
      "url.scheme": "http",
      "http.route": "/users/:id",
      "server.address": "127.0.0.1",
      "server.port": 8080,
      "user_agent.original": "wrk/4.2.0",
      "network.protocol.version": "1.1",
    },
  });
  const client = tracer.startSpan(
    "SELECT users",
    { kind: SpanKind.CLIENT, attributes: { "db.system.name": "postgresql", "db.operation.name": "SELECT" } },
    trace.setSpan(context.active(), server),
  );
  if (i % 4 === 0) client.addEvent("retry", { attempt: 1 });
  client.end();
  server.setAttribute("http.response.status_code", 200);
  server.end();
}
const spans: ReadableSpan[] = exporter.getFinishedSpans();
const ours = createTraceEncoder();
const contenders: [string, (s: ReadableSpan[]) => Uint8Array][] = [
  ["official", (s) => ProtobufTraceSerializer.serializeRequest(s) as Uint8Array],
  ["ours", ours],
];

function perSpan(encode: (s: ReadableSpan[]) => Uint8Array): number {
  const start = Bun.nanoseconds();
  for (let r = 0; r < rounds; r++) encode(spans);
  return (Bun.nanoseconds() - start) / 1000 / (rounds * spans.length);
}

for (const [, encode] of contenders) perSpan(encode); // warm-up
const figures = { official: [] as number[], ours: [] as number[] };
for (let pass = 0; pass < 5; pass++)
  for (const [name, encode] of contenders) figures[name as "ours"].push(perSpan(encode));
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] as number;
const official = median(figures.official);
const mine = median(figures.ours);
console.log(`${spans.length} spans per export, ${rounds} exports per pass, median of 5 alternating passes`);
console.log(`official ProtobufTraceSerializer: ${official.toFixed(3)} µs/span`);
console.log(`ours (createTraceEncoder):        ${mine.toFixed(3)} µs/span`);
console.log(`official / ours: ${(official / mine).toFixed(2)}x`);
