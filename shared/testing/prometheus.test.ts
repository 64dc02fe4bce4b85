import { describe, expect, test } from "bun:test";
import { parsePrometheusText } from "./prometheus.ts";

describe("the Prometheus text parser", () => {
  test("reads samples with labels and special values", () => {
    const samples = parsePrometheusText(
      '# HELP up Up\n# TYPE up gauge\nup{job="a",path="x\\"y"} 1\nlatency_bucket{le="+Inf"} +Inf\n',
    );
    expect(samples).toEqual([
      { name: "up", labels: { job: "a", path: 'x"y' }, value: 1 },
      { name: "latency_bucket", labels: { le: "+Inf" }, value: Number.POSITIVE_INFINITY },
    ]);
  });

  test("rejects a malformed sample line", () => {
    expect(() => parsePrometheusText("up{job=a} 1")).toThrow("bad labels");
    expect(() => parsePrometheusText("up one")).toThrow("bad sample value");
  });

  test("rejects a metric typed twice", () => {
    expect(() => parsePrometheusText("# TYPE up gauge\n# TYPE up gauge\n")).toThrow("typed twice");
  });
});
