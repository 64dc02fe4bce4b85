import { context, TraceFlags, type Tracer } from "@opentelemetry/api";
import { AsyncLocalStorageContextManager } from "@opentelemetry/context-async-hooks";
import { type ExportResult, ExportResultCode } from "@opentelemetry/core";
import { resourceFromAttributes } from "@opentelemetry/resources";
import {
  AlwaysOffSampler,
  AlwaysOnSampler,
  BatchSpanProcessor,
  ParentBasedSampler,
  type ReadableSpan,
  type Sampler,
  type SpanExporter,
  type SpanProcessor,
  TraceIdRatioBasedSampler,
  TracerProvider,
} from "@opentelemetry/sdk-trace";
import { ATTR_SERVICE_NAME, ATTR_SERVICE_VERSION } from "@opentelemetry/semantic-conventions";
import { ConfigError } from "../config/errors.ts";
import { parseKeyValueList, type SamplerName, type TelemetryConfig, tracesUrlOf } from "./config.ts";
import { createOtlpExporter } from "./exporter.ts";
import { EdgeDecidedSampler, type Sampling, samplingOf } from "./sampling.ts";

/** The tracing of one service: its tracer, what it lost, and the flush at shutdown. */
export interface Telemetry {
  /** Null when tracing is off (no endpoint, or disabled): callers then make no span at all. */
  readonly tracer: Tracer | null;
  /** The sampler's rule for edges that decide before making a span; null when tracing is off. */
  readonly sampling: Sampling | null;
  /** Finished sampled spans that were never delivered: the export queue was full, or the export failed. */
  droppedSpans(): number;
  /** Exports what is buffered and stops; call it last at shutdown. */
  shutdown(): Promise<void>;
}

/** Where telemetry reports its own trouble (a pino Logger fits). */
export interface TelemetryLogger {
  warn(obj: object, msg?: string): void;
}

/** Tracing switched off: no tracer, nothing dropped, nothing to flush. */
export const noTelemetry: Telemetry = {
  tracer: null,
  sampling: null,
  droppedSpans: () => 0,
  shutdown: async () => {},
};

/** Options of `createTelemetry`. */
export interface TelemetryOptions {
  config: TelemetryConfig;
  /** The service's name: the default `service.name` and the tracer's name. */
  service: string;
  version: string;
  logger?: TelemetryLogger;
}

/**
 * The tracer provider of a service from its `telemetry` config: OTLP over HTTP (protobuf or JSON), a batch
 * processor that never blocks a request (spans it cannot deliver are counted and dropped), the configured
 * sampler, and a resource with `service.name`, `service.version` and `service.instance.id`. With no endpoint
 * or `disabled`, returns `noTelemetry`. A malformed header or resource list throws a ConfigError naming its key.
 * @example const telemetry = createTelemetry({ config: config.telemetry, service: "users", version, logger });
 */
export function createTelemetry(options: TelemetryOptions): Telemetry {
  const { config } = options;
  const url = tracesUrlOf(config);
  if (config.disabled || !url) return noTelemetry;
  const headers = keyValues(config.headers, "telemetry.headers");
  const attributes = keyValues(config.resourceAttributes, "telemetry.resourceAttributes");
  const resource = resourceFromAttributes({
    ...attributes,
    [ATTR_SERVICE_NAME]: config.serviceName ?? attributes[ATTR_SERVICE_NAME] ?? options.service,
    [ATTR_SERVICE_VERSION]: options.version,
    "service.instance.id": crypto.randomUUID(),
  });
  const exporter = createOtlpExporter({
    url,
    protocol: config.protocol,
    headers,
    timeoutMillis: config.batch.exportTimeoutMs,
  });
  const counting = new CountingProcessor(exporter, config.batch, options.logger);
  const provider = new TracerProvider({
    resource,
    sampler: new EdgeDecidedSampler(samplerOf(config.sampler, config.samplerArg)),
    spanProcessors: [counting],
  });
  useAsyncContext();
  let stopping: Promise<void> | undefined;
  return {
    tracer: provider.getTracer(options.service, options.version),
    sampling: samplingOf(config.sampler, config.samplerArg),
    droppedSpans: () => counting.dropped,
    shutdown: () => {
      stopping ??= provider.shutdown().catch((err) => options.logger?.warn({ err }, "telemetry shutdown failed"));
      return stopping;
    },
  };
}

// The async context is process-wide, like AsyncLocalStorage itself: one manager serves the tracers of
// every service in the process (the dev stack runs them all), and code far from any composition root
// (the database wrapper, the outbox, log lines) finds the active span through it. Providers stay per service.
function useAsyncContext(): void {
  context.setGlobalContextManager(new AsyncLocalStorageContextManager().enable());
}

function keyValues(list: string | undefined, key: string): Record<string, string> {
  try {
    return parseKeyValueList(list);
  } catch (err) {
    throw new ConfigError([{ key, message: (err as Error).message, source: "config" }]);
  }
}

function samplerOf(name: SamplerName, ratio: number): Sampler {
  switch (name) {
    case "always_on":
      return new AlwaysOnSampler();
    case "always_off":
      return new AlwaysOffSampler();
    case "traceidratio":
      return new TraceIdRatioBasedSampler(ratio);
    case "parentbased_always_on":
      return new ParentBasedSampler({ root: new AlwaysOnSampler() });
    case "parentbased_always_off":
      return new ParentBasedSampler({ root: new AlwaysOffSampler() });
    case "parentbased_traceidratio":
      return new ParentBasedSampler({ root: new TraceIdRatioBasedSampler(ratio) });
  }
}

/**
 * The batch processor with a bounded count of spans not yet delivered: past `maxQueueSize` a span is
 * dropped (and counted) instead of queued, and a failed export counts its spans as dropped. The first
 * failure after a success is logged once; the count says the rest.
 */
class CountingProcessor implements SpanProcessor {
  dropped = 0;
  private pending = 0;
  private failing = false;
  /** Exports handed over but not yet answered, so that a flush waits for them. */
  private readonly sending = new Set<Promise<void>>();
  private readonly batch: BatchSpanProcessor;
  private readonly maxQueueSize: number;

  constructor(
    exporter: SpanExporter,
    batch: TelemetryConfig["batch"],
    private readonly logger?: TelemetryLogger,
  ) {
    this.maxQueueSize = batch.maxQueueSize;
    this.batch = new BatchSpanProcessor({
      exporter: this.counted(exporter),
      maxQueueSize: batch.maxQueueSize,
      maxExportBatchSize: Math.min(batch.maxExportBatchSize, batch.maxQueueSize),
      scheduledDelayMillis: batch.scheduleDelayMs,
      exportTimeoutMillis: batch.exportTimeoutMs,
    });
  }

  onStart(): void {}

  onEnd(span: ReadableSpan): void {
    if ((span.spanContext().traceFlags & TraceFlags.SAMPLED) === 0) return;
    if (this.pending >= this.maxQueueSize) {
      this.dropped++;
      return;
    }
    this.pending++;
    this.batch.onEnd(span);
  }

  forceFlush(): Promise<void> {
    return this.batch.forceFlush();
  }

  shutdown(): Promise<void> {
    return this.batch.shutdown();
  }

  private counted(exporter: SpanExporter): SpanExporter {
    return {
      // Encoding a batch takes milliseconds: it runs on its own turn of the event loop, not inside the
      // request whose span filled the batch.
      export: (spans, done) => {
        const sent = new Promise<void>((settled) =>
          setImmediate(() =>
            this.send(exporter, spans, (result) => {
              settled();
              done(result);
            }),
          ),
        );
        this.sending.add(sent);
        sent.then(() => this.sending.delete(sent));
      },
      shutdown: async () => {
        await Promise.all(this.sending);
        await exporter.shutdown();
      },
      forceFlush: async () => {
        await Promise.all(this.sending);
        await exporter.forceFlush?.();
      },
    };
  }

  private send(exporter: SpanExporter, spans: ReadableSpan[], done: (result: ExportResult) => void): void {
    exporter.export(spans, (result: ExportResult) => {
      this.pending -= spans.length;
      if (result.code === ExportResultCode.SUCCESS) {
        this.failing = false;
      } else {
        this.dropped += spans.length;
        if (!this.failing) this.logger?.warn({ err: result.error, spans: spans.length }, "span export failed");
        this.failing = true;
      }
      done(result);
    });
  }
}
