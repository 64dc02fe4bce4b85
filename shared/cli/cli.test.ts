import { describe, expect, mock, test } from "bun:test";
import { defineServiceConfig } from "../config/base.ts";
import { loadConfig } from "../config/load.ts";
import { redact } from "../config/secret.ts";
import { type CliSpec, runCli } from "./cli.ts";
import { localUrl } from "./probe.ts";

const schema = defineServiceConfig("users", {}, { port: 3001 });
type Config = ReturnType<typeof schema.parse>;

function setup(argv: string[], overrides: Partial<CliSpec<Config>> = {}) {
  let stdout = "";
  let stderr = "";
  const calls = {
    serve: mock(async (_config: Config) => {}),
    up: mock(async (_config: Config) => {}),
    status: mock(async (_config: Config) => ({ applied: ["0001_init"], pending: [] })),
  };
  const spec: CliSpec<Config> = {
    name: "users",
    version: "1.4.0",
    description: "user profiles",
    argv,
    loadConfig: (flags) => loadConfig({ schema, argv: flags, env: { DATABASE_URL: "postgres://u:pw@db/users" } }),
    redact: (config) => redact(schema, config),
    serve: calls.serve,
    migrate: { up: calls.up, status: calls.status },
    openapi: () => ({ openapi: "3.1.0", info: { title: "users" } }),
    out: { write: (s: string) => (stdout += s) },
    err: { write: (s: string) => (stderr += s) },
    ...overrides,
  };
  return { run: () => runCli(spec), calls, out: () => stdout, err: () => stderr };
}

describe("runCli", () => {
  test("with no subcommand it serves with the resolved config and exits 0 when serve returns", async () => {
    const cli = setup([]);
    expect(await cli.run()).toBe(0);
    expect(cli.calls.serve).toHaveBeenCalledTimes(1);
    expect(cli.calls.serve.mock.calls[0]![0].http.port).toBe(3001);
  });

  test("flags without a subcommand, or after serve, reach loadConfig", async () => {
    const bare = setup(["--port=9000"]);
    expect(await bare.run()).toBe(0);
    expect(bare.calls.serve.mock.calls[0]![0].http.port).toBe(9000);
    const explicit = setup(["serve", "--http.port", "9001"]);
    expect(await explicit.run()).toBe(0);
    expect(explicit.calls.serve.mock.calls[0]![0].http.port).toBe(9001);
  });

  test("db grant takes its own flags and hands the rest to loadConfig", async () => {
    const grant = mock(async (_config: Config, _flags: unknown) => {});
    const cli = setup(
      [
        "db",
        "grant",
        "--admin-url",
        "postgres://root@db/shop",
        "--app-password-file=/run/secrets/app",
        "--db.pool.max=2",
      ],
      { grant },
    );
    expect(await cli.run()).toBe(0);
    expect(grant.mock.calls[0]![0].db.pool.max).toBe(2);
    expect(grant.mock.calls[0]![1]).toEqual({
      adminUrl: "postgres://root@db/shop",
      appPasswordFile: "/run/secrets/app",
    });
    const missing = setup(["db", "grant", "--owner-password-file"], { grant });
    expect(await missing.run()).toBe(2);
    expect(missing.err()).toContain("--owner-password-file needs a value");
  });

  test("migrate up and migrate status run with the config after their flags", async () => {
    const up = setup(["migrate", "up", "--db.pool.max=2"]);
    expect(await up.run()).toBe(0);
    expect(up.calls.up.mock.calls[0]![0].db.pool.max).toBe(2);
    const status = setup(["migrate", "status"]);
    expect(await status.run()).toBe(0);
    expect(JSON.parse(status.out())).toEqual({ applied: ["0001_init"], pending: [] });
    expect(status.calls.serve).not.toHaveBeenCalled();
  });

  test("openapi prints the service's document as JSON on stdout", async () => {
    const cli = setup(["openapi"]);
    expect(await cli.run()).toBe(0);
    expect(JSON.parse(cli.out())).toEqual({ openapi: "3.1.0", info: { title: "users" } });
  });

  test("config print shows the resolved config as JSON with secrets redacted", async () => {
    const cli = setup(["config", "print", "--log.level=debug"]);
    expect(await cli.run()).toBe(0);
    const printed = JSON.parse(cli.out());
    expect(printed.log.level).toBe("debug");
    expect(printed.db.url).toBe("postgres://u:[redacted]@db/users");
    expect(cli.out()).not.toContain("pw@");
  });

  test("version and --version print the version", async () => {
    for (const argv of [["version"], ["--version"]]) {
      const cli = setup(argv);
      expect(await cli.run()).toBe(0);
      expect(cli.out()).toBe("1.4.0\n");
    }
  });

  test("--help on the root lists every subcommand and serves nothing", async () => {
    const cli = setup(["--help"]);
    expect(await cli.run()).toBe(0);
    for (const word of ["serve", "migrate up", "migrate status", "openapi", "config print", "version"]) {
      expect(cli.out()).toContain(word);
    }
    expect(cli.calls.serve).not.toHaveBeenCalled();
  });

  test("--help on a subcommand prints that subcommand's usage and runs nothing", async () => {
    const cli = setup(["migrate", "up", "--help"]);
    expect(await cli.run()).toBe(0);
    expect(cli.out()).toStartWith("Usage: users migrate up");
    expect(cli.calls.up).not.toHaveBeenCalled();
  });

  test("an invalid config prints the ConfigError to stderr and exits 2", async () => {
    const cli = setup(["serve", "--http.port=abc"]);
    expect(await cli.run()).toBe(2);
    expect(cli.err()).toContain('http.port: expected number, got "abc" (from flag --http.port)');
    expect(cli.calls.serve).not.toHaveBeenCalled();
  });

  test("an unknown subcommand prints usage to stderr and exits 2", async () => {
    for (const argv of [["deploy"], ["migrate", "down"], ["config"]]) {
      const cli = setup(argv);
      expect(await cli.run()).toBe(2);
      expect(cli.err()).toContain("unknown command");
      expect(cli.err()).toContain("Usage: users");
      expect(cli.out()).toBe("");
    }
  });

  test("a subcommand that takes no flags rejects extra arguments with exit 2", async () => {
    const cli = setup(["openapi", "--pretty"]);
    expect(await cli.run()).toBe(2);
    expect(cli.err()).toContain("--pretty");
  });

  test("a service without migrations or OpenAPI says so and exits 2", async () => {
    const cli = setup(["migrate", "up"], { migrate: undefined, openapi: undefined });
    expect(await cli.run()).toBe(2);
    expect(cli.err()).toContain("no database migrations");
    const docs = setup(["openapi"], { openapi: undefined });
    expect(await docs.run()).toBe(2);
  });

  test("an error thrown by serve is printed to stderr and exits 1", async () => {
    const cli = setup([], {
      serve: async () => {
        throw new Error("port in use");
      },
    });
    expect(await cli.run()).toBe(1);
    expect(cli.err()).toContain("port in use");
  });

  test("a service's own subcommand is listed in --help and runs with the resolved config", async () => {
    const seen: number[] = [];
    const keys = {
      path: ["keys", "rotate"],
      summary: "rotate the signing key",
      run: async (config: Config, out: { write(s: string): unknown }) => {
        seen.push(config.http.port);
        out.write("rotated\n");
        return undefined;
      },
    };
    const help = setup(["--help"], { commands: [keys] });
    expect(await help.run()).toBe(0);
    expect(help.out()).toContain("keys rotate");
    const cli = setup(["keys", "rotate", "--port=9002"], { commands: [keys] });
    expect(await cli.run()).toBe(0);
    expect(seen).toEqual([9002]);
    expect(cli.out()).toBe("rotated\n");
    expect(cli.calls.serve).not.toHaveBeenCalled();
  });

  test("healthcheck asks the readiness URL of the configured instance: 0 when it answers 2xx, 1 otherwise", async () => {
    let status = 200;
    const paths: string[] = [];
    const server = Bun.serve({
      port: 0,
      hostname: "127.0.0.1",
      fetch(req) {
        paths.push(new URL(req.url).pathname);
        return new Response(null, { status });
      },
    });
    try {
      const readyUrl = (config: Config) => `http://127.0.0.1:${config.http.port}/readyz`;
      const ready = setup(["healthcheck", `--port=${server.port}`], { readyUrl });
      expect(await ready.run()).toBe(0);
      expect(ready.out()).toBe(`ready: http://127.0.0.1:${server.port}/readyz\n`);
      status = 503;
      const busy = setup(["healthcheck", `--port=${server.port}`], { readyUrl });
      expect(await busy.run()).toBe(1);
      expect(busy.err()).toContain("answered 503");
      expect(paths).toEqual(["/readyz", "/readyz"]);
      expect(ready.calls.serve).not.toHaveBeenCalled();
    } finally {
      server.stop(true);
    }
  });

  test("healthcheck exits 1 when nothing listens, and 2 for a service without a readiness check", async () => {
    const closed = Bun.serve({ port: 0, hostname: "127.0.0.1", fetch: () => new Response() });
    const port = closed.port;
    closed.stop(true);
    const down = setup(["healthcheck", `--port=${port}`], {
      readyUrl: (config) => `http://127.0.0.1:${config.http.port}/readyz`,
    });
    expect(await down.run()).toBe(1);
    expect(down.err()).toStartWith(`not ready: http://127.0.0.1:${port}/readyz: `);
    expect(await setup(["healthcheck"]).run()).toBe(2);
  });
});

describe("localUrl", () => {
  test("reaches an instance listening on every address over loopback, and keeps a given host", () => {
    expect(localUrl("0.0.0.0", 8080, "/readyz")).toBe("http://127.0.0.1:8080/readyz");
    expect(localUrl("::", 8080, "/readyz")).toBe("http://127.0.0.1:8080/readyz");
    expect(localUrl(undefined, 9, "/x")).toBe("http://127.0.0.1:9/x");
    expect(localUrl("10.0.0.5", 81, "/readyz")).toBe("http://10.0.0.5:81/readyz");
    expect(localUrl("::1", 81, "/readyz")).toBe("http://[::1]:81/readyz");
  });
});
