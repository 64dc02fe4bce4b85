import { describe, expect, test } from "bun:test";
import { attemptRule, defaultThrottle, delayAfter, delaySchedule } from "./auth.throttle.ts";

describe("the login throttle", () => {
  test("lets the free failures through, then doubles the wait from the base up to the cap", () => {
    expect(delaySchedule(defaultThrottle)).toEqual([0, 0, 0, 0, 30, 60, 120, 240, 480, 900]);
    expect(delaySchedule({ ...defaultThrottle, freeFailures: 1, baseDelaySec: 1, maxDelaySec: 5 })).toEqual([
      1, 2, 4, 5,
    ]);
  });

  test("keeps the longest wait past the end of the schedule, and counts extra over the account's ceiling", () => {
    const rule = attemptRule(defaultThrottle, delaySchedule(defaultThrottle), new Date());
    expect(delayAfter(rule, 1, 0)).toBe(0);
    expect(delayAfter(rule, 5, 0)).toBe(30);
    expect(delayAfter(rule, 50, 0)).toBe(900);
    expect(rule.ceiling.extra).toBe(4);
    expect(delayAfter(rule, 1, rule.ceiling.extra)).toBe(30);
  });
});
