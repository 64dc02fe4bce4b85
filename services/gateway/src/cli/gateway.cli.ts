// The gateway's command line. `check`, `routes` and `openapi` read a KrakenD file, which the kit's
// `runCli` (built around layered service settings) does not know, so they are handled here; `serve`,
// `version` and `config print` are delegated to the kit with `-c FILE` resolved by us.

import { localUrl, runCli, type Writer } from "@shared/cli";
import { ConfigError } from "@shared/config";
import { envOverrides, GatewayConfigError, type LoadedConfig, loadConfigFile } from "../config/config.load.ts";
import { openApiFromConfig } from "../ops/openapi.ts";
import { buildRuntime, type GatewayFeatures } from "../proxy/endpoint.build.ts";

/** What `main.ts` hands the CLI. */
export interface GatewayCliDeps {
  argv: readonly string[];
  env: Record<string, string | undefined>;
  version: string;
  features: GatewayFeatures;
  serve(loaded: LoadedConfig): Promise<void>;
  out?: Writer;
  err?: Writer;
}

const DEFAULT_CONFIG = "gateway.json";

const help = (version: string) => `gateway ${version}: the shop's API gateway (KrakenD version-3 configs)

Usage: gateway [command] [-c FILE]

Commands:
  serve       run the gateway (default)
  check       validate the config without serving; prints warnings (--lint: a warning fails the check)
  routes      list the routes the config defines
  openapi     print the OpenAPI document generated from the config
  config print  print the resolved config
  healthcheck exit 0 when the gateway serving this config answers /__health (container health checks)
  version     print the version

Flags:
  -c, --config FILE   JSON or YAML config (default: $GATEWAY_CONFIG or ${DEFAULT_CONFIG})

Environment overrides: ${Object.keys(envOverrides).join(", ")}; {{ env "NAME" }} in the file is substituted.
Reload: SIGHUP or saving the file swaps in a valid config; an invalid one is refused.
`;

/** The config file named by `-c FILE`, `--config FILE` or `--config=FILE`. */
export function configFileOf(args: readonly string[], env: Record<string, string | undefined>): string {
  for (let i = 0; i < args.length; i++) {
    const a = args[i]!;
    if (a === "-c" || a === "--config") return args[i + 1] ?? DEFAULT_CONFIG;
    if (a.startsWith("--config=")) return a.slice("--config=".length);
  }
  return env.GATEWAY_CONFIG ?? DEFAULT_CONFIG;
}

/** Loads and builds (so module-level config errors show up too); throws `GatewayConfigError`. */
function loadChecked(file: string, deps: GatewayCliDeps): LoadedConfig {
  const loaded = loadConfigFile(file, deps.env);
  buildRuntime(loaded, deps.features);
  return loaded;
}

/** A warning line (`path: message`) as a problem. */
function problemOf(warning: string): { path: string; message: string } {
  const at = warning.indexOf(": ");
  return at < 0 ? { path: "", message: warning } : { path: warning.slice(0, at), message: warning.slice(at + 2) };
}

function printProblems(err: Writer, file: string, e: GatewayConfigError): void {
  err.write(`${file}: invalid config\n`);
  for (const p of e.problems) err.write(`  ${p.path || "(file)"}: ${p.message}\n`);
}

/** The route listing of `gateway routes`. */
export function routesText(loaded: LoadedConfig, features: GatewayFeatures): string {
  const rt = buildRuntime(loaded, features);
  const rows = rt.endpoints.map((ep) => {
    const flags = [
      ep.output,
      ep.sequential ? "sequential" : ep.backends.length > 1 ? "merge" : "",
      ep.auth ? "auth" : "",
      ep.rateLimit ? "ratelimit" : "",
      ep.cacheControl ? `ttl=${ep.cacheControl.split("=")[1]}s` : "",
      ep.backends.some((b) => b.cache) ? "http-cache" : "",
    ].filter(Boolean);
    const backends = ep.backends.map((b) => `${b.method ?? ep.method} ${b.label}`).join(" + ");
    return [ep.method, ep.path, backends, flags.join(",")];
  });
  const w0 = Math.max(6, ...rows.map((r) => r[0]!.length));
  const w1 = Math.max(4, ...rows.map((r) => r[1]!.length));
  const lines = rows.map((r) => `${r[0]!.padEnd(w0)}  ${r[1]!.padEnd(w1)}  ${r[2]}  [${r[3]}]`);
  return `${["METHOD".padEnd(w0), "PATH".padEnd(w1), "BACKENDS  [FLAGS]"].join("  ")}\n${lines.join("\n")}\n`;
}

/** Runs the command in `deps.argv` and resolves with the exit code. */
export async function runGatewayCli(deps: GatewayCliDeps): Promise<number> {
  const out = deps.out ?? process.stdout;
  const err = deps.err ?? process.stderr;
  const [command, ...rest] = deps.argv;
  if (command === "--help" || command === "-h" || command === "help" || rest.includes("--help")) {
    out.write(help(deps.version));
    return 0;
  }
  if (command === "check" || command === "routes" || command === "openapi") {
    const file = configFileOf(rest, deps.env);
    try {
      const loaded = loadChecked(file, deps);
      if (command === "check") {
        // --lint, as `krakend check --lint`: what the gateway would accept with a warning fails the check
        if (rest.includes("--lint") && loaded.warnings.length > 0) {
          printProblems(err, file, new GatewayConfigError(loaded.warnings.map((w) => problemOf(w))));
          return 1;
        }
        for (const w of loaded.warnings) err.write(`warning: ${w}\n`);
        out.write(`${file}: config OK (${loaded.config.endpoints.length} endpoints)\n`);
      } else if (command === "routes") {
        out.write(routesText(loaded, deps.features));
      } else {
        const doc = openApiFromConfig(buildRuntime(loaded, deps.features), {
          title: "Shop API (gateway)",
          version: deps.version,
        });
        out.write(`${JSON.stringify(doc, null, 2)}\n`);
      }
      return 0;
    } catch (e) {
      if (e instanceof GatewayConfigError) {
        printProblems(err, file, e);
        return 1;
      }
      throw e;
    }
  }
  const toKitError = (file: string, e: unknown) =>
    e instanceof GatewayConfigError
      ? new ConfigError(e.problems.map((p) => ({ key: p.path, message: p.message, source: `file ${file}` })))
      : e;
  return runCli<LoadedConfig>({
    name: "gateway",
    version: deps.version,
    description: "the shop's API gateway",
    argv: deps.argv,
    out,
    err,
    loadConfig: (args) => {
      const file = configFileOf(args, deps.env);
      try {
        return loadChecked(file, deps);
      } catch (e) {
        throw toKitError(file, e);
      }
    },
    redact: (loaded) => loaded.config,
    serve: (loaded) => deps.serve(loaded),
    readyUrl: (loaded) => localUrl(undefined, loaded.config.port ?? 8080, "/__health"),
  });
}
