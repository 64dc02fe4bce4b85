import { describe, expect, test } from "bun:test";
import { createRouterRateLimit } from "../traffic/ratelimit.ts";
import { parseConfigText } from "./config.load.ts";
import { parseDuration } from "./duration.ts";

describe("durations", () => {
  test("Go duration strings and nanosecond integers become milliseconds", () => {
    expect(parseDuration("2s")).toBe(2000);
    expect(parseDuration("1500ms")).toBe(1500);
    expect(parseDuration("1m30s")).toBe(90_000);
    expect(parseDuration(3_000_000)).toBe(3);
    expect(parseDuration("2 s")).toBeNull();
    expect(parseDuration("s")).toBeNull();
  });

  const good: (string | number)[] = ["1500ms", "1m30s", "2h", "0", 3_000_000, 1_000_000_000];
  const bad: (string | number)[] = ["2 s", "s", "soon", "", "1d", -1];

  const configTimeoutAccepts = (value: string | number): boolean => {
    const text = JSON.stringify({ version: 3, host: ["http://127.0.0.1:1"], timeout: value, endpoints: [] });
    try {
      parseConfigText(text, { format: "json" });
      return true;
    } catch {
      return false;
    }
  };
  const rateLimitCleanupPeriod = (value: string | number): number | null => {
    try {
      return createRouterRateLimit({ cleanup_period: value }).config.cleanup_period ?? null;
    } catch {
      return null;
    }
  };

  test("the config's timeout and an extra_config duration accept the same inputs with the same meaning", () => {
    for (const value of good) {
      expect(configTimeoutAccepts(value)).toBe(true);
      expect(rateLimitCleanupPeriod(value)).toBe(parseDuration(value)!);
    }
    for (const value of bad) {
      expect(configTimeoutAccepts(value)).toBe(false);
      expect(rateLimitCleanupPeriod(value)).toBeNull();
    }
  });
});
