import {
  type Attributes,
  type Context,
  createContextKey,
  type Link,
  ROOT_CONTEXT,
  type SpanKind,
  trace,
} from "@opentelemetry/api";
import { type Sampler, SamplingDecision, type SamplingResult } from "@opentelemetry/sdk-trace";
import type { SamplerName } from "./config.ts";

/**
 * The sampler's rule in a form an edge can apply before any span exists: a request it leaves out then costs
 * no span object, no async context and no W3C codec.
 */
export interface Sampling {
  /** The share of new traces recorded, decided on the trace id. */
  readonly ratio: number;
  /** A continued trace follows its caller's sampled flag instead of the ratio (the `parentbased_*` samplers). */
  readonly parentBased: boolean;
}

/** The edge's rule for a configured sampler. */
export function samplingOf(name: SamplerName, ratio: number): Sampling {
  const rootRatio = name.endsWith("always_on") ? 1 : name.endsWith("always_off") ? 0 : ratio;
  return { ratio: rootRatio, parentBased: name.startsWith("parentbased_") };
}

/**
 * Whether a new trace is recorded, decided from its id as the SDK's trace-id ratio sampler does (the last
 * 8 hex digits against the ratio), without making any object.
 */
export function sampledRoot(traceId: string, ratio: number): boolean {
  if (ratio >= 1) return true;
  if (ratio <= 0) return false;
  return Number.parseInt(traceId.slice(24), 16) < ratio * 0x1_0000_0000;
}

/** Whether a `traceparent` flags field says "sampled". */
export function sampledFlags(flags: string): boolean {
  return (Number.parseInt(flags, 16) & 1) === 1;
}

// The edge draws its own id to decide a new trace; the SDK then draws the span's, so the SDK must not decide
// again (that would keep ratio² of the traces): this context says the decision is made.
const edgeSampled = createContextKey("edge-sampled root");

/** The parent context of a new trace the edge decided to record: the SDK records it whatever its ratio. */
export const sampledRootContext: Context = ROOT_CONTEXT.setValue(edgeSampled, true);

/** The configured sampler, except that a root the edge decided to record is recorded. */
export class EdgeDecidedSampler implements Sampler {
  constructor(private readonly inner: Sampler) {}

  shouldSample(
    context: Context,
    traceId: string,
    name: string,
    kind: SpanKind,
    attributes: Attributes,
    links: Link[],
  ): SamplingResult {
    if (context.getValue(edgeSampled) === true && trace.getSpan(context) === undefined) {
      return { decision: SamplingDecision.RECORD_AND_SAMPLED };
    }
    return this.inner.shouldSample(context, traceId, name, kind, attributes, links);
  }

  toString(): string {
    return `EdgeDecided{${this.inner.toString()}}`;
  }
}
