export {
  otelEnvMap,
  parseKeyValueList,
  type SamplerName,
  samplerNames,
  type TelemetryConfig,
  telemetryConfigSchema,
  tracesUrlOf,
} from "./config.ts";
export {
  activeContext,
  activeSpanIds,
  extractTraceContext,
  injectTraceContext,
  inSpan,
  type LogIds,
  recordFailure,
  withActiveSpan,
} from "./context.ts";
export {
  EdgeDecidedSampler,
  type Sampling,
  sampledFlags,
  sampledRoot,
  sampledRootContext,
  samplingOf,
} from "./sampling.ts";
export {
  createTelemetry,
  noTelemetry,
  type Telemetry,
  type TelemetryLogger,
  type TelemetryOptions,
} from "./telemetry.ts";
