// The gateway's tracing settings: KrakenD's `telemetry/opentelemetry` namespace (service level) gives the
// defaults, the standard `OTEL_*` variables override them, as every service reads them.
import { loadConfig } from "@shared/config";
import { type TelemetryConfig, telemetryConfigSchema } from "@shared/telemetry";
import { z } from "zod";

const otlpExporter = z.looseObject({
  name: z.string(),
  host: z.string().min(1),
  port: z.number().int().min(1).max(65535).optional(),
  use_http: z.boolean().optional(),
  disable_traces: z.boolean().optional(),
  disable_metrics: z.boolean().optional(),
});

/** `telemetry/opentelemetry` (KrakenD CE, service level): the keys the gateway reads; others are accepted. */
export const opentelemetryNamespace = z.looseObject({
  service_name: z.string().min(1).optional(),
  deploy_env: z.string().optional(),
  trace_sample_rate: z.number().min(0).max(1).optional(),
  exporters: z.looseObject({ otlp: z.array(otlpExporter).optional() }),
  layers: z
    .looseObject({
      global: z.looseObject({ disable_propagation: z.boolean().optional() }).optional(),
    })
    .optional(),
});

type Namespace = z.output<typeof opentelemetryNamespace>;

/** What the gateway traces with. */
export interface GatewayTelemetrySettings {
  telemetry: TelemetryConfig;
  /** False when `layers.global.disable_propagation` asks to restart every trace at the gateway. */
  continueTrace: boolean;
  /** Settings the gateway cannot honour, for the log. */
  warnings: string[];
}

const schema = z.object({ telemetry: telemetryConfigSchema().prefault({}) });

/**
 * The gateway's telemetry settings from its config's `telemetry/opentelemetry` (the first OTLP exporter
 * with traces, `trace_sample_rate`, `service_name`, `deploy_env`, `layers.global.disable_propagation`) and the
 * `OTEL_*` variables, which win. Throws a ConfigError naming the key of a bad value.
 */
export function gatewayTelemetrySettings(
  extraConfig: Record<string, unknown> | undefined,
  env: Record<string, string | undefined>,
): GatewayTelemetrySettings {
  const raw = extraConfig?.["telemetry/opentelemetry"];
  const ns: Namespace | undefined = raw === undefined ? undefined : opentelemetryNamespace.parse(raw);
  const warnings: string[] = [];
  const defaults: Record<string, unknown> = {};
  if (ns) {
    const exporter = ns.exporters.otlp?.find((e) => e.disable_traces !== true);
    if (exporter) {
      if (exporter.use_http !== true) {
        warnings.push(
          `telemetry/opentelemetry exporter ${exporter.name}: only OTLP over HTTP is supported; exporting over HTTP`,
        );
      }
      const base = /^https?:\/\//.test(exporter.host) ? exporter.host : `http://${exporter.host}`;
      defaults.endpoint = `${base.replace(/\/+$/, "")}:${exporter.port ?? 4318}`;
    }
    if (ns.trace_sample_rate !== undefined) defaults.samplerArg = ns.trace_sample_rate;
    if (ns.service_name) defaults.serviceName = ns.service_name;
    if (ns.deploy_env) defaults.resourceAttributes = `deployment.environment.name=${encodeURIComponent(ns.deploy_env)}`;
  }
  const { telemetry } = loadConfig({ schema, env, defaults: { telemetry: defaults } });
  return { telemetry, continueTrace: ns?.layers?.global?.disable_propagation !== true, warnings };
}
