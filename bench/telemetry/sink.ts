// A cheap OTLP/HTTP traces endpoint for benchmarks: answers every export at once and counts what came
// (by protobuf size only: decoding would cost the machine the benchmark measures).

/** A running sink. */
export interface OtlpSink {
  url: string;
  /** Exports received. */
  spans(): number;
  stop(): void;
}

/** Starts the sink on a free loopback port. */
export function startOtlpSink(port = 0): OtlpSink {
  let exports = 0;
  const server = Bun.serve({
    hostname: "127.0.0.1",
    port,
    async fetch(req) {
      await req.arrayBuffer();
      exports++;
      return new Response(new Uint8Array(), { headers: { "content-type": "application/x-protobuf" } });
    },
  });
  return { url: `http://127.0.0.1:${server.port}`, spans: () => exports, stop: () => server.stop(true) };
}

if (import.meta.main) {
  const sink = startOtlpSink(Number(process.argv[2] ?? 4318));
  console.log(`OTLP sink on ${sink.url}`);
}
