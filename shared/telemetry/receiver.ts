import { decodeJsonTraces, decodeProtobufTraces, type ReceivedSpan } from "./otlp-decode.ts";

/** An OTLP/HTTP traces endpoint on a free loopback port that keeps what it receives (for tests). */
export interface OtlpReceiver {
  /** The base URL, for `OTEL_EXPORTER_OTLP_ENDPOINT`. */
  url: string;
  spans: ReceivedSpan[];
  /** Content types of the exports received, in order. */
  contentTypes: string[];
  /** Resolves once `predicate` holds for the spans received (polling), or rejects after `timeoutMs`. */
  waitFor(predicate: (spans: ReceivedSpan[]) => boolean, timeoutMs?: number): Promise<ReceivedSpan[]>;
  stop(): Promise<void>;
}

/**
 * Starts a receiver answering `POST /v1/traces` with 200, decoding protobuf and JSON bodies.
 * @example const otlp = startOtlpReceiver(); env.OTEL_EXPORTER_OTLP_ENDPOINT = otlp.url;
 */
export function startOtlpReceiver(): OtlpReceiver {
  const spans: ReceivedSpan[] = [];
  const contentTypes: string[] = [];
  const server = Bun.serve({
    hostname: "127.0.0.1",
    port: 0,
    async fetch(req) {
      if (new URL(req.url).pathname !== "/v1/traces") return new Response("not found", { status: 404 });
      const type = req.headers.get("content-type") ?? "";
      contentTypes.push(type);
      if (type.includes("json")) spans.push(...decodeJsonTraces(await req.text()));
      else spans.push(...decodeProtobufTraces(new Uint8Array(await req.arrayBuffer())));
      return new Response(type.includes("json") ? "{}" : new Uint8Array(), {
        headers: { "content-type": type.includes("json") ? "application/json" : "application/x-protobuf" },
      });
    },
  });
  return {
    url: `http://127.0.0.1:${server.port}`,
    spans,
    contentTypes,
    async waitFor(predicate, timeoutMs = 10_000) {
      const until = Date.now() + timeoutMs;
      while (!predicate(spans)) {
        if (Date.now() > until) throw new Error(`spans received so far: ${spans.map((s) => s.name).join(", ")}`);
        await Bun.sleep(20);
      }
      return spans;
    },
    stop: () => server.stop(true),
  };
}
