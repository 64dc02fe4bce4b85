import { afterAll, describe, expect, test } from "bun:test";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { startBackend } from "../testing/harness.ts";
import { configFileOf, runGatewayCli } from "./gateway.cli.ts";

const dir = mkdtempSync(join(tmpdir(), "gateway-cli-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function file(name: string, content: unknown): string {
  const path = join(dir, name);
  writeFileSync(path, typeof content === "string" ? content : JSON.stringify(content));
  return path;
}

async function run(argv: string[]) {
  let out = "";
  let err = "";
  let served = false;
  const code = await runGatewayCli({
    argv,
    env: {},
    version: "1.2.3",
    features: {},
    serve: async () => {
      served = true;
    },
    out: { write: (t: string) => (out += t) },
    err: { write: (t: string) => (err += t) },
  });
  return { code, out, err, served };
}

const good = file("good.json", {
  version: 3,
  host: ["http://127.0.0.1:9"],
  extra_config: { "telemetry/influx": {} },
  endpoints: [
    { endpoint: "/api/users/{id}", backend: [{ url_pattern: "/users/{id}" }] },
    {
      endpoint: "/api/me",
      backend: [
        { url_pattern: "/a", group: "a" },
        { url_pattern: "/b", group: "b" },
      ],
    },
    {
      endpoint: "/api/files/*",
      output_encoding: "no-op",
      methods: ["GET", "PUT"],
      backend: [{ url_pattern: "/files" }],
    },
  ],
});
const bad = file("bad.json", {
  version: 3,
  host: ["http://127.0.0.1:9"],
  endpoints: [
    { endpoint: "/a", backend: [{ url_pattern: "/a" }] },
    { endpoint: "/b", backend: [{ url_pattern: "b" }] },
  ],
});

describe("gateway CLI", () => {
  test("check accepts a valid config and prints its warnings", async () => {
    const r = await run(["check", "-c", good]);
    expect(r.code).toBe(0);
    expect(r.out).toContain("config OK (3 endpoints)");
    expect(r.err).toContain(
      'warning: extra_config["telemetry/influx"]: KrakenD namespace not supported by this gateway, ignored',
    );
  });

  test("a KrakenD key the gateway does not support is a warning, and check --lint makes it an error", async () => {
    const krakendOnly = file("krakend-only.json", {
      version: 3,
      host: ["http://127.0.0.1:9"],
      dialer_timeout: "1s",
      endpoints: [{ endpoint: "/a", concurrent_calls: 2, backend: [{ url_pattern: "/a" }] }],
    });
    const checked = await run(["check", "-c", krakendOnly]);
    expect(checked.code).toBe(0);
    expect(checked.err).toContain("warning: dialer_timeout: KrakenD key not supported by this gateway, ignored");
    expect((await run(["-c", krakendOnly])).served).toBe(true);

    const linted = await run(["check", "--lint", "-c", krakendOnly]);
    expect(linted.code).toBe(1);
    expect(linted.err).toContain("invalid config");
    expect(linted.err).toContain("  dialer_timeout: KrakenD key not supported by this gateway, ignored");
    expect(linted.err).toContain("  endpoints[0].concurrent_calls: KrakenD key not supported by this gateway, ignored");
  });

  test("a misspelt key stops check and serve with a suggestion", async () => {
    const misspelt = file("misspelt.json", {
      version: 3,
      host: ["http://127.0.0.1:9"],
      endpoints: [{ endpoint: "/a", backend: [{ url_patern: "/a", url_pattern: "/a" }] }],
    });
    const r = await run(["check", "-c", misspelt]);
    expect(r.code).toBe(1);
    expect(r.err).toContain("endpoints[0].backend[0].url_patern: unknown key; did you mean url_pattern?");
    expect((await run(["serve", "-c", misspelt])).served).toBe(false);
  });

  test("check refuses an invalid config with the path of each problem and exit code 1", async () => {
    const r = await run(["check", "--config", bad]);
    expect(r.code).toBe(1);
    expect(r.err).toContain("endpoints[1].backend[0].url_pattern: must start with /");
  });

  test("routes lists every method and path with its backends", async () => {
    const r = await run(["routes", `--config=${good}`]);
    expect(r.code).toBe(0);
    const lines = r.out.trim().split("\n");
    expect(lines).toHaveLength(5);
    expect(r.out).toMatch(/GET\s+\/api\/users\/\{id\}\s+GET http:\/\/127\.0\.0\.1:9\/users\/\{id\}/);
    expect(r.out).toMatch(/GET\s+\/api\/me\s+.*\+ GET http:\/\/127\.0\.0\.1:9\/b\s+\[json,merge\]/);
    expect(r.out).toMatch(/PUT\s+\/api\/files\/\*/);
  });

  test("serve is the default command and refuses an invalid config", async () => {
    expect((await run(["-c", good])).served).toBe(true);
    const r = await run(["serve", "-c", bad]);
    expect(r.served).toBe(false);
    expect(r.code).toBe(2);
    expect(r.err).toContain("url_pattern");
  });

  test("version and --help answer without a config", async () => {
    expect((await run(["version"])).out).toBe("1.2.3\n");
    const help = await run(["--help"]);
    expect(help.out).toContain("check");
    expect(help.out).toContain("routes");
  });

  test("the config file comes from -c, then GATEWAY_CONFIG, then gateway.json", () => {
    expect(configFileOf(["-c", "x.yaml"], {})).toBe("x.yaml");
    expect(configFileOf([], { GATEWAY_CONFIG: "y.json" })).toBe("y.json");
    expect(configFileOf([], {})).toBe("gateway.json");
  });

  test("healthcheck asks /__health on the config's port: 0 while it answers 200, 1 once nothing listens", async () => {
    const health = startBackend(() => Response.json({ status: "ok" }));
    const port = Number(new URL(health.url).port);
    const config = file("health.json", { version: 3, port, endpoints: [] });
    try {
      const ok = await run(["healthcheck", "-c", config]);
      expect(ok.code).toBe(0);
      expect(ok.out).toBe(`ready: http://127.0.0.1:${port}/__health\n`);
      expect(ok.served).toBe(false);
      expect(health.seen.map((r) => r.path)).toEqual(["/__health"]);
    } finally {
      health.stop();
    }
    const down = await run(["healthcheck", "-c", config]);
    expect(down.code).toBe(1);
    expect(down.err).toContain("not ready");
  });
});
