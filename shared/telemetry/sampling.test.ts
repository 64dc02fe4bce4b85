import { describe, expect, test } from "bun:test";
import { ROOT_CONTEXT, SpanKind } from "@opentelemetry/api";
import { AlwaysOffSampler, SamplingDecision } from "@opentelemetry/sdk-trace";
import { EdgeDecidedSampler, sampledRoot, sampledRootContext, samplingOf } from "./sampling.ts";

describe("the sampling an edge applies", () => {
  test("each sampler name gives its root ratio and whether a caller's flag decides", () => {
    expect(samplingOf("parentbased_traceidratio", 0.1)).toEqual({ ratio: 0.1, parentBased: true });
    expect(samplingOf("traceidratio", 0.1)).toEqual({ ratio: 0.1, parentBased: false });
    expect(samplingOf("parentbased_always_on", 0)).toEqual({ ratio: 1, parentBased: true });
    expect(samplingOf("always_off", 1)).toEqual({ ratio: 0, parentBased: false });
  });

  test("a new trace is kept when its last 8 hex digits fall under the ratio", () => {
    expect(sampledRoot(`${"a".repeat(24)}10000000`, 0.1)).toBe(true);
    expect(sampledRoot(`${"a".repeat(24)}f0000000`, 0.1)).toBe(false);
  });

  test("a root the edge decided to record is recorded whatever the configured sampler says", () => {
    const sampler = new EdgeDecidedSampler(new AlwaysOffSampler());
    const traceId = "4bf92f3577b34da6a3ce929d0e0e4736";
    const decide = (ctx: typeof ROOT_CONTEXT) => sampler.shouldSample(ctx, traceId, "GET", SpanKind.SERVER, {}, []);
    expect(decide(sampledRootContext).decision).toBe(SamplingDecision.RECORD_AND_SAMPLED);
    expect(decide(ROOT_CONTEXT).decision).toBe(SamplingDecision.NOT_RECORD);
  });
});
