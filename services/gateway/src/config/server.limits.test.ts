import { describe, expect, test } from "bun:test";
import { type GatewayConfigError, parseConfigText } from "./config.load.ts";
import { defaultServerLimits, serverLimitsOf } from "./server.limits.ts";

const load = (extra: Record<string, unknown>) =>
  parseConfigText(JSON.stringify({ version: 3, endpoints: [], ...extra }), { format: "json", env: {} });

describe("server limits", () => {
  test("without the keys the server keeps its defaults", () => {
    expect(serverLimitsOf(load({}).config)).toEqual(defaultServerLimits);
    expect(defaultServerLimits).toMatchObject({
      headerTimeoutMs: 10_000,
      idleTimeoutMs: 30_000,
      maxHeaderBytes: 16_384,
    });
  });

  test("KrakenD's service keys and gateway/server.max_connections set them, and none is a warning", () => {
    const loaded = load({
      read_timeout: "20s",
      read_header_timeout: "2s",
      idle_timeout: "1m",
      max_header_bytes: 8192,
      extra_config: { "gateway/server": { max_connections: 500 } },
    });
    expect(serverLimitsOf(loaded.config)).toEqual({
      readTimeoutMs: 20_000,
      headerTimeoutMs: 2000,
      idleTimeoutMs: 60_000,
      maxHeaderBytes: 8192,
      maxConnections: 500,
    });
    expect(loaded.warnings).toEqual([]);
  });

  test("as in KrakenD, a zero header or idle timeout falls back to read_timeout, and a zero read_timeout is none", () => {
    expect(
      serverLimitsOf(load({ read_timeout: "5s", read_header_timeout: "0s", idle_timeout: "0s" }).config),
    ).toMatchObject({ readTimeoutMs: 5000, headerTimeoutMs: 5000, idleTimeoutMs: 5000 });
    expect(serverLimitsOf(load({ read_timeout: "0s", idle_timeout: "0s" }).config)).toMatchObject({
      readTimeoutMs: 0,
      idleTimeoutMs: 0,
      headerTimeoutMs: 10_000,
    });
  });

  test("a bad value is a config error naming its key", () => {
    const problems = (extra: Record<string, unknown>) => {
      try {
        load(extra);
        return [];
      } catch (err) {
        return (err as GatewayConfigError).problems.map((p) => p.path);
      }
    };
    expect(problems({ read_timeout: "soon" })).toEqual(["read_timeout"]);
    expect(problems({ max_header_bytes: -1 })).toEqual(["max_header_bytes"]);
    expect(problems({ extra_config: { "gateway/server": { max_connections: 0 } } })[0]).toContain("gateway/server");
    expect(problems({ extra_config: { "gateway/server": { max_conns: 5 } } })[0]).toContain("gateway/server");
  });
});
