import { describe, expect, test } from "bun:test";
import { GatewayConfigError, metricsAddressOf, parseConfigText, substituteEnv } from "./config.load.ts";
import { parseListenAddress } from "./config.schema.ts";

const base = (endpoints: unknown[], extra: Record<string, unknown> = {}) =>
  JSON.stringify({ version: 3, host: ["http://127.0.0.1:1"], endpoints, ...extra });

function problemsOf(text: string, env: Record<string, string> = {}, format: "json" | "yaml" = "json"): string[] {
  try {
    parseConfigText(text, { format, env });
  } catch (err) {
    if (err instanceof GatewayConfigError) return err.problems.map((p) => `${p.path}: ${p.message}`);
    throw err;
  }
  return [];
}

const ep = (endpoint: string, backend: Record<string, unknown>[], more: Record<string, unknown> = {}) => ({
  endpoint,
  backend,
  ...more,
});

describe("config validation", () => {
  test("an error names the full path of the offending key", () => {
    const text = base([
      ep("/a", [{ url_pattern: "/a" }]),
      ep("/b", [{ url_pattern: "/b" }]),
      ep("/c", [{ url_pattern: "/c" }]),
      ep("/d", [{ url_pattern: "d-without-slash" }]),
    ]);
    expect(problemsOf(text)).toEqual(["endpoints[3].backend[0].url_pattern: must start with /"]);
  });

  test("a misspelt key is an error that suggests the key it resembles", () => {
    expect(problemsOf(base([ep("/a", [{ url_patern: "/a", url_pattern: "/a" }])]))).toEqual([
      "endpoints[0].backend[0].url_patern: unknown key; did you mean url_pattern?",
    ]);
    expect(problemsOf(base([ep("/a", [{ url_pattern: "/a" }], { input_header: ["Accept"] })]))).toEqual([
      "endpoints[0].input_header: unknown key; did you mean input_headers?",
    ]);
    expect(problemsOf(base([], { timout: "1s" }))).toEqual(["timout: unknown key; did you mean timeout?"]);
  });

  test("a key unknown to KrakenD and near nothing is an error without a suggestion", () => {
    expect(problemsOf(base([ep("/a", [{ url_pattern: "/a", flavour: "mint" }])]))).toEqual([
      "endpoints[0].backend[0].flavour: unknown key",
    ]);
  });

  test("KrakenD v1 keys point to their v2 names", () => {
    expect(problemsOf(base([ep("/a", [{ url_pattern: "/a" }], { headers_to_pass: ["Accept"] })]))).toEqual([
      "endpoints[0].headers_to_pass: unknown key; did you mean input_headers?",
    ]);
  });

  test("keys KrakenD knows but this gateway does not support are warnings naming them, and the config loads", () => {
    const loaded = parseConfigText(
      base([ep("/a", [{ url_pattern: "/a", sd: "static", input_headers: ["Accept"] }], { concurrent_calls: 2 })], {
        listen_ip: "0.0.0.0",
        use_h2c: false,
        $schema: "https://www.krakend.io/schema/v2.12/krakend.json",
        "@comment": "comment keys are ignored at every level",
      }),
      { format: "json" },
    );
    expect(loaded.warnings).toEqual([
      "listen_ip: KrakenD key not supported by this gateway, ignored",
      "use_h2c: KrakenD key not supported by this gateway, ignored",
      "endpoints[0].concurrent_calls: KrakenD key not supported by this gateway, ignored",
      "endpoints[0].backend[0].sd: KrakenD key not supported by this gateway, ignored",
      "endpoints[0].backend[0].input_headers: KrakenD key not supported by this gateway, ignored",
    ]);
    expect(loaded.config.endpoints[0]!.backend[0]!.url_pattern).toBe("/a");
  });

  test("a misspelt namespace is an error with a suggestion; one nobody knows is an error", () => {
    expect(problemsOf(base([], { extra_config: { "security/cros": {} } }))).toEqual([
      'extra_config["security/cros"]: unknown namespace; did you mean security/cors?',
    ]);
    expect(problemsOf(base([], { extra_config: { "acme/thing": {} } }))).toEqual([
      'extra_config["acme/thing"]: unknown namespace',
    ]);
  });

  test("only version 3 is accepted", () => {
    expect(problemsOf(JSON.stringify({ version: 2, endpoints: [] }))[0]).toStartWith("version:");
  });

  test("a placeholder that names no endpoint parameter is refused", () => {
    expect(problemsOf(base([ep("/u/{id}", [{ url_pattern: "/users/{uid}" }])]))).toEqual([
      "endpoints[0].backend[0].url_pattern: {uid} is not a parameter of /u/{id}",
    ]);
  });

  test("{respN_x} needs a sequential proxy and an earlier backend; {JWT.x} needs auth", () => {
    const problems = problemsOf(
      base([ep("/s", [{ url_pattern: "/a/{resp0_id}" }, { url_pattern: "/b/{resp1_id}/{JWT.sub}" }])]),
    );
    expect(problems).toContain("endpoints[0].backend[0].url_pattern: {resp0_id} needs extra_config.proxy.sequential");
    expect(problems).toContain("endpoints[0].backend[1].url_pattern: {JWT.sub} needs auth/validator");
  });

  test("the same method and path twice is refused, whatever the parameter names", () => {
    expect(
      problemsOf(base([ep("/u/{id}", [{ url_pattern: "/a" }]), ep("/u/{name}", [{ url_pattern: "/b" }])])),
    ).toEqual(["endpoints[1].endpoint: GET /u/{} is already defined by endpoints[0]"]);
  });

  test("a no-op endpoint takes one no-op backend and wildcards must be no-op", () => {
    const problems = problemsOf(
      base([
        ep("/n", [{ url_pattern: "/a" }, { url_pattern: "/b" }], { output_encoding: "no-op" }),
        ep("/files/*", [{ url_pattern: "/f" }]),
      ]),
    );
    expect(problems).toContain("endpoints[0].backend: a no-op endpoint takes exactly one backend");
    expect(problems).toContain('endpoints[1].output_encoding: wildcard routes are pass-through: use "no-op"');
  });

  test("a backend without any host is refused", () => {
    const text = JSON.stringify({ version: 3, endpoints: [ep("/a", [{ url_pattern: "/a" }])] });
    expect(problemsOf(text)).toEqual([
      "endpoints[0].backend[0].host: no host here and no service-level host to fall back on",
    ]);
  });

  test("our own namespaces are validated with their path", () => {
    const text = base([
      ep("/a", [{ url_pattern: "/a", extra_config: { proxy: { flatmap_filter: [{ type: "copy", args: ["a"] }] } } }]),
    ]);
    expect(problemsOf(text)[0]).toStartWith('endpoints[0].backend[0].extra_config["proxy"].flatmap_filter[0].type:');
  });

  test("telemetry/metrics takes a KrakenD listen address and refuses anything else with its path", () => {
    const metrics = (listen_address: unknown) =>
      base([], { extra_config: { "telemetry/metrics": { listen_address } } });
    for (const ok of [":8090", "127.0.0.1:8090", "[::1]:8090", "metrics.internal:9"]) {
      expect(problemsOf(metrics(ok))).toEqual([]);
    }
    for (const bad of ["8090", "127.0.0.1", ":99999", "a b:80", 8090]) {
      expect(problemsOf(metrics(bad))[0]).toStartWith('extra_config["telemetry/metrics"].listen_address:');
    }
    const loaded = parseConfigText(metrics(":8090"), { format: "json" });
    expect(metricsAddressOf(loaded)).toBe(":8090");
    expect(loaded.warnings).toEqual([]);
    expect(parseListenAddress(":8090")).toEqual({ hostname: undefined, port: 8090 });
    expect(parseListenAddress("[::1]:81")).toEqual({ hostname: "::1", port: 81 });
  });

  test("KrakenD namespaces this gateway does not support, or at the wrong level, are warnings", () => {
    const loaded = parseConfigText(
      base([ep("/a", [{ url_pattern: "/a", extra_config: { "modifier/lua-backend": {} } }])], {
        extra_config: { "telemetry/influx": {}, "auth/validator": {} },
      }),
      { format: "json" },
    );
    expect(loaded.warnings).toEqual([
      'extra_config["telemetry/influx"]: KrakenD namespace not supported by this gateway, ignored',
      'extra_config["auth/validator"]: namespace belongs at endpoint level; ignored here',
      'endpoints[0].backend[0].extra_config["modifier/lua-backend"]: KrakenD namespace not supported by this gateway, ignored',
    ]);
  });

  test("YAML configs are read like JSON ones", () => {
    const yaml = `version: 3\nport: 9000\nhost: ["http://127.0.0.1:1"]\nendpoints:\n  - endpoint: /a\n    backend:\n      - url_pattern: /a\n`;
    const loaded = parseConfigText(yaml, { format: "yaml" });
    expect(loaded.config.port).toBe(9000);
    expect(loaded.config.endpoints[0]!.endpoint).toBe("/a");
  });

  test("GATEWAY_* variables override top-level scalars", () => {
    const loaded = parseConfigText(base([], { port: 8080, timeout: "2s" }), {
      format: "json",
      env: { GATEWAY_PORT: "9999", GATEWAY_TIMEOUT: "750ms", GATEWAY_HOST: "http://a:1, http://b:2" },
    });
    expect(loaded.config.port).toBe(9999);
    expect(loaded.config.timeout).toBe("750ms");
    expect(loaded.config.host).toEqual(["http://a:1", "http://b:2"]);
  });

  test("a bad override names the key it landed on", () => {
    expect(problemsOf(base([]), { GATEWAY_TIMEOUT: "soon" })).toEqual([
      'timeout: expected a duration such as "2s" or "1500ms"',
    ]);
  });
});

describe("env substitution", () => {
  test('{{ env "NAME" }} is replaced, with a fallback when unset', () => {
    const text = base([ep("/a", [{ host: ['{{ env "USERS_URL" "http://127.0.0.1:8081" }}'], url_pattern: "/a" }])]);
    expect(parseConfigText(text, { format: "json", env: {} }).config.endpoints[0]!.backend[0]!.host).toEqual([
      "http://127.0.0.1:8081",
    ]);
    expect(
      parseConfigText(text, { format: "json", env: { USERS_URL: "http://users:80" } }).config.endpoints[0]!.backend[0]!
        .host,
    ).toEqual(["http://users:80"]);
  });

  test("a value cannot break out of its JSON string", () => {
    const { text } = substituteEnv('{"a": "{{ env "X" }}"}', { X: '", "b": "pwned' }, true);
    expect(JSON.parse(text)).toEqual({ a: '", "b": "pwned' });
  });

  test("an unset variable without fallback is an error naming it", () => {
    expect(problemsOf(base([]).replace('"version":3', '"version":3,"name":"{{ env \\"MISSING\\" }}"'))).toEqual([
      ": environment variable MISSING is not set and has no default",
    ]);
  });
});
