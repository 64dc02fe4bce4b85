import { describe, expect, test } from "bun:test";
import { Registry } from "prom-client";
import { createGatewayMetrics } from "./metrics.ts";

describe("gateway metrics", () => {
  test("cache hits counted on the hot path are exported per backend at every scrape", async () => {
    const registry = new Registry();
    const metrics = createGatewayMetrics(registry, () => []);
    metrics.cacheHit("http://a/x");
    metrics.cacheHit("http://a/x");
    metrics.cacheHit("http://b/y");
    const first = await registry.metrics();
    expect(first).toContain('gateway_cache_hits_total{backend="http://a/x"} 2');
    expect(first).toContain('gateway_cache_hits_total{backend="http://b/y"} 1');
    metrics.cacheHit("http://a/x");
    expect(await registry.metrics()).toContain('gateway_cache_hits_total{backend="http://a/x"} 3');
  });
});
