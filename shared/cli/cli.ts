import { ConfigError } from "../config/errors.ts";
import { probe } from "./probe.ts";
import type { Writer } from "./writer.ts";

/** What a service gives `runCli`; only `main.ts` builds it. */
export interface CliSpec<Config> {
  name: string;
  version: string;
  description: string;
  /** Arguments after the executable, i.e. `process.argv.slice(2)`. */
  argv: readonly string[];
  /** Resolves config from the flags that follow the subcommand; throws `ConfigError`. */
  loadConfig(argv: readonly string[]): Config | Promise<Config>;
  /** The config with secrets hidden, for `config print`. */
  redact(config: Config): unknown;
  /** Runs the service; resolves once it has stopped gracefully. */
  serve(config: Config): Promise<void>;
  /** Absent for services without a database. */
  migrate?: { up(config: Config): Promise<void>; status(config: Config): Promise<unknown> };
  /** `db grant`: creates or updates the service's database roles; absent for services without a database. */
  grant?(config: Config, flags: GrantFlags, out: Writer): Promise<void>;
  /** The OpenAPI document; absent for services without HTTP routes. */
  openapi?: () => unknown;
  /** The readiness URL of the instance that runs with this config, which `healthcheck` asks. */
  readyUrl?(config: Config): string;
  /** Service-specific subcommands (e.g. auth's `keys rotate`); each reads config like `serve`. */
  commands?: readonly ExtraCommand<Config>[];
  out?: Writer;
  err?: Writer;
}

/** A service-specific subcommand; `run` resolves with the exit code (0 when it returns nothing). */
export interface ExtraCommand<Config> {
  path: readonly string[];
  summary: string;
  run(config: Config, out: Writer): Promise<number | undefined>;
}

/** The flags of `db grant` that are not config keys. */
export interface GrantFlags {
  /** A superuser's URL; absent: the config's database URL. */
  adminUrl?: string;
  ownerPasswordFile?: string;
  appPasswordFile?: string;
}

const grantFlagNames: Record<string, keyof GrantFlags> = {
  "--admin-url": "adminUrl",
  "--owner-password-file": "ownerPasswordFile",
  "--app-password-file": "appPasswordFile",
};

/** Takes the `db grant` flags (`--name value` or `--name=value`) out of argv; the rest is config. */
function takeGrantFlags(argv: readonly string[]): { flags: GrantFlags; rest: string[] } {
  const flags: GrantFlags = {};
  const rest: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    const eq = arg.indexOf("=");
    const key = grantFlagNames[eq === -1 ? arg : arg.slice(0, eq)];
    if (!key) {
      rest.push(arg);
      continue;
    }
    const value = eq === -1 ? argv[++i] : arg.slice(eq + 1);
    if (!value || value.startsWith("--")) {
      throw new ConfigError([{ key: "", message: `${arg} needs a value`, source: `flag ${arg}` }]);
    }
    flags[key] = value;
  }
  return { flags, rest };
}

interface Command {
  path: readonly string[];
  summary: string;
  usage: string;
  /** True when the command reads config, so flags are passed to loadConfig. */
  config: boolean;
}

const commands: Command[] = [
  {
    path: ["serve"],
    summary: "run the service (default)",
    usage: "serve [--config FILE] [--key.path=value ...]",
    config: true,
  },
  { path: ["migrate", "up"], summary: "apply pending database migrations", usage: "migrate up [flags]", config: true },
  {
    path: ["migrate", "status"],
    summary: "list applied and pending migrations",
    usage: "migrate status [flags]",
    config: true,
  },
  {
    path: ["db", "grant"],
    summary: "create or update the roles <schema>_owner (migrations) and <schema>_app (serve); run as a superuser",
    usage: "db grant [--admin-url URL] [--owner-password-file FILE] [--app-password-file FILE] [flags]",
    config: true,
  },
  { path: ["openapi"], summary: "print the OpenAPI document as JSON", usage: "openapi", config: false },
  {
    path: ["config", "print"],
    summary: "print the resolved config, secrets redacted",
    usage: "config print [flags]",
    config: true,
  },
  {
    path: ["healthcheck"],
    summary: "exit 0 when the instance running with this config is ready (container health checks)",
    usage: "healthcheck [flags]",
    config: true,
  },
  { path: ["version"], summary: "print the version", usage: "version", config: false },
];

/** The standard commands followed by the service's own. */
function commandsOf(spec: CliSpec<unknown>): Command[] {
  const extra = (spec.commands ?? []).map((c) => ({
    path: c.path,
    summary: c.summary,
    usage: `${c.path.join(" ")} [flags]`,
    config: true,
  }));
  return [...commands, ...extra];
}

function rootHelp(spec: CliSpec<unknown>): string {
  const all = commandsOf(spec);
  const width = Math.max(...all.map((c) => c.path.join(" ").length));
  const lines = all.map((c) => `  ${c.path.join(" ").padEnd(width)}  ${c.summary}`);
  return [
    `${spec.name} ${spec.version}: ${spec.description}`,
    "",
    `Usage: ${spec.name} [command] [--config FILE] [--key.path=value ...]`,
    "",
    "Commands:",
    ...lines,
    "",
    "Flags: --help on any command, --version. Config: defaults < --config FILE (yaml, json, toml) < env < flags.",
    "",
  ].join("\n");
}

function commandHelp(spec: CliSpec<unknown>, command: Command): string {
  const flags = command.config
    ? [
        "",
        "Flags:",
        "  --config FILE        YAML, JSON or TOML config file",
        "  --key.path=VALUE     set any config key, e.g. --http.port=8080 (or --port 8080)",
      ]
    : [];
  return [`Usage: ${spec.name} ${command.usage}`, "", command.summary, ...flags, ""].join("\n");
}

/** Finds the command named at the start of argv; serve when argv starts with a flag or is empty. */
function match(all: Command[], argv: readonly string[]): { command?: Command; rest: readonly string[] } {
  if (argv.length === 0 || argv[0]!.startsWith("-")) return { command: all[0], rest: argv };
  for (const command of all) {
    if (command.path.every((word, i) => argv[i] === word)) return { command, rest: argv.slice(command.path.length) };
  }
  return { rest: argv };
}

const json = (value: unknown) => `${JSON.stringify(value, null, 2)}\n`;

/** Runs the subcommand named in `spec.argv` and resolves with the process exit code. */
export async function runCli<Config>(spec: CliSpec<Config>): Promise<number> {
  const out = spec.out ?? process.stdout;
  const err = spec.err ?? process.stderr;
  const argv = spec.argv;
  if (argv[0] === "--version" || argv[0] === "-v") {
    out.write(`${spec.version}\n`);
    return 0;
  }
  if (argv[0] === "--help" || argv[0] === "-h" || argv[0] === "help") {
    out.write(rootHelp(spec as CliSpec<unknown>));
    return 0;
  }
  const { command, rest } = match(commandsOf(spec as CliSpec<unknown>), argv);
  if (!command) {
    err.write(`${spec.name}: unknown command "${argv.join(" ")}"\n\n${rootHelp(spec as CliSpec<unknown>)}`);
    return 2;
  }
  if (rest.includes("--help") || rest.includes("-h")) {
    out.write(commandHelp(spec as CliSpec<unknown>, command));
    return 0;
  }
  if (!command.config && rest.length > 0) {
    err.write(`${spec.name} ${command.path.join(" ")}: unexpected arguments "${rest.join(" ")}"\n`);
    return 2;
  }
  try {
    return await execute(spec, command, rest, out, err);
  } catch (error) {
    if (error instanceof ConfigError) {
      err.write(`${spec.name}: invalid config\n${error.message}\n`);
      return 2;
    }
    err.write(
      `${spec.name} ${command.path.join(" ")} failed: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`,
    );
    return 1;
  }
}

async function execute<Config>(
  spec: CliSpec<Config>,
  command: Command,
  rest: readonly string[],
  out: Writer,
  err: Writer,
): Promise<number> {
  switch (command.path.join(" ")) {
    case "version":
      out.write(`${spec.version}\n`);
      return 0;
    case "openapi":
      if (!spec.openapi) return unsupported(spec, err, "has no OpenAPI document");
      out.write(json(await spec.openapi()));
      return 0;
    case "config print":
      out.write(json(spec.redact(await spec.loadConfig(rest))));
      return 0;
    case "migrate up":
      if (!spec.migrate) return unsupported(spec, err, "has no database migrations");
      await spec.migrate.up(await spec.loadConfig(rest));
      return 0;
    case "db grant": {
      if (!spec.grant) return unsupported(spec, err, "has no database");
      const { flags, rest: configArgs } = takeGrantFlags(rest);
      await spec.grant(await spec.loadConfig(configArgs), flags, out);
      return 0;
    }
    case "migrate status": {
      if (!spec.migrate) return unsupported(spec, err, "has no database migrations");
      const status = await spec.migrate.status(await spec.loadConfig(rest));
      if (status !== undefined) out.write(json(status));
      return 0;
    }
    case "serve":
      await spec.serve(await spec.loadConfig(rest));
      return 0;
    case "healthcheck":
      if (!spec.readyUrl) return unsupported(spec as CliSpec<unknown>, err, "has no readiness check");
      return probe(spec.readyUrl(await spec.loadConfig(rest)), out, err);
    default: {
      const extra = spec.commands?.find((c) => c.path.join(" ") === command.path.join(" "));
      if (!extra) return unsupported(spec as CliSpec<unknown>, err, `has no command "${command.path.join(" ")}"`);
      return (await extra.run(await spec.loadConfig(rest), out)) ?? 0;
    }
  }
}

function unsupported(spec: CliSpec<unknown>, err: Writer, what: string): number {
  err.write(`${spec.name} ${what}\n`);
  return 2;
}
