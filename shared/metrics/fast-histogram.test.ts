import { describe, expect, test } from "bun:test";
import { Histogram, Registry } from "prom-client";
import { FastHistogram } from "./fast-histogram.ts";

describe("FastHistogram", () => {
  test("scrapes exactly like prom-client's Histogram given the same observations", async () => {
    const buckets = [0.001, 0.01, 0.1, 1];
    const ours = new Registry();
    const theirs = new Registry();
    ours.setDefaultLabels({ service: "gateway" });
    theirs.setDefaultLabels({ service: "gateway" });
    const fast = new FastHistogram("d_seconds", "durations", ["route", "status"], buckets, ours);
    const ref = new Histogram({
      name: "d_seconds",
      help: "durations",
      labelNames: ["route", "status"],
      buckets,
      registers: [theirs],
    });
    const samples: [string, string, number][] = [
      ["/a", "200", 0.0005],
      ["/a", "200", 0.001],
      ["/a", "200", 0.05],
      ["/a", "500", 2],
      ['/b/{id}"x', "200", 0.3],
    ];
    for (const [route, status, v] of samples) {
      fast.series(route, status).observe(v);
      ref.observe({ route, status }, v);
    }
    expect(await ours.metrics()).toBe(await theirs.metrics());
  });

  test("an observer keeps counting into its series and reset drops every series", async () => {
    const reg = new Registry();
    const h = new FastHistogram("x_seconds", "x", ["k"], [1], reg);
    const o = h.series("v");
    o.observe(0.5);
    o.observe(3);
    expect(await reg.metrics()).toContain('x_seconds_count{k="v"} 2');
    expect(await reg.metrics()).toContain('x_seconds_bucket{le="1",k="v"} 1');
    h.reset();
    expect(await reg.metrics()).not.toContain("x_seconds_count");
  });
});
