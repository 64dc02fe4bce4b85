import { z } from "zod";
import { secret } from "../config/secret.ts";

/** The samplers of the OpenTelemetry specification (`OTEL_TRACES_SAMPLER`). */
export const samplerNames = [
  "always_on",
  "always_off",
  "traceidratio",
  "parentbased_always_on",
  "parentbased_always_off",
  "parentbased_traceidratio",
] as const;

/** A name of `samplerNames`. */
export type SamplerName = (typeof samplerNames)[number];

const httpUrl = z.url({ protocol: /^https?$/, error: "must be an http:// or https:// URL" });

/**
 * The `telemetry` section: OpenTelemetry traces exported over OTLP/HTTP. Each key also reads its
 * standard `OTEL_*` variable (see `otelEnvMap`). No endpoint means nothing is exported and no span is made.
 */
export function telemetryConfigSchema() {
  return z.object({
    disabled: z.boolean().default(false).describe("OTEL_SDK_DISABLED: no spans, nothing exported"),
    endpoint: httpUrl.optional().describe("OTEL_EXPORTER_OTLP_ENDPOINT: base URL; traces go to <endpoint>/v1/traces"),
    tracesEndpoint: httpUrl.optional().describe("OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: the full traces URL"),
    protocol: z.enum(["http/protobuf", "http/json"]).default("http/protobuf"),
    headers: secret(z.string()).optional().describe("OTEL_EXPORTER_OTLP_HEADERS: k=v,k2=v2 sent with each export"),
    sampler: z.enum(samplerNames).default("parentbased_traceidratio"),
    samplerArg: z.number().min(0).max(1).default(1).describe("OTEL_TRACES_SAMPLER_ARG: the ratio of traces kept"),
    serviceName: z.string().min(1).optional().describe("OTEL_SERVICE_NAME (default: the service's name)"),
    resourceAttributes: z.string().optional().describe("OTEL_RESOURCE_ATTRIBUTES: k=v,k2=v2"),
    batch: z
      .object({
        scheduleDelayMs: z.number().int().nonnegative().default(5000),
        exportTimeoutMs: z.number().int().positive().default(30_000),
        maxQueueSize: z.number().int().positive().default(2048),
        maxExportBatchSize: z.number().int().positive().default(512),
      })
      .prefault({}),
  });
}

/** Resolved `telemetry` section. */
export type TelemetryConfig = z.output<ReturnType<typeof telemetryConfigSchema>>;

/** The standard OpenTelemetry environment names, mapped to keys of the `telemetry` section. */
export const otelEnvMap: Readonly<Record<string, string>> = {
  OTEL_SDK_DISABLED: "telemetry.disabled",
  OTEL_EXPORTER_OTLP_ENDPOINT: "telemetry.endpoint",
  OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: "telemetry.tracesEndpoint",
  OTEL_EXPORTER_OTLP_PROTOCOL: "telemetry.protocol",
  OTEL_EXPORTER_OTLP_HEADERS: "telemetry.headers",
  OTEL_TRACES_SAMPLER: "telemetry.sampler",
  OTEL_TRACES_SAMPLER_ARG: "telemetry.samplerArg",
  OTEL_SERVICE_NAME: "telemetry.serviceName",
  OTEL_RESOURCE_ATTRIBUTES: "telemetry.resourceAttributes",
  OTEL_BSP_SCHEDULE_DELAY: "telemetry.batch.scheduleDelayMs",
  OTEL_BSP_EXPORT_TIMEOUT: "telemetry.batch.exportTimeoutMs",
  OTEL_BSP_MAX_QUEUE_SIZE: "telemetry.batch.maxQueueSize",
  OTEL_BSP_MAX_EXPORT_BATCH_SIZE: "telemetry.batch.maxExportBatchSize",
};

/** The traces URL a config exports to, or undefined when none is configured. */
export function tracesUrlOf(config: Pick<TelemetryConfig, "endpoint" | "tracesEndpoint">): string | undefined {
  if (config.tracesEndpoint) return config.tracesEndpoint;
  if (!config.endpoint) return undefined;
  return `${config.endpoint.replace(/\/+$/, "")}/v1/traces`;
}

/**
 * Parses the `k=v,k2=v2` list of `OTEL_EXPORTER_OTLP_HEADERS` and `OTEL_RESOURCE_ATTRIBUTES` (values
 * percent-decoded); throws naming the first malformed member.
 */
export function parseKeyValueList(list: string | undefined): Record<string, string> {
  const out: Record<string, string> = {};
  if (!list) return out;
  for (const member of list.split(",")) {
    if (member.trim() === "") continue;
    const at = member.indexOf("=");
    const key = at > 0 ? member.slice(0, at).trim() : "";
    if (key === "") throw new Error(`"${member.trim()}" is not key=value`);
    try {
      out[key] = decodeURIComponent(member.slice(at + 1).trim());
    } catch {
      throw new Error(`the value of ${key} is not percent-encoded correctly`);
    }
  }
  return out;
}
