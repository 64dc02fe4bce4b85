import {
  type ConnectionOptions,
  connect,
  credsAuthenticator,
  type NatsConnection,
  nkeyAuthenticator,
} from "@nats-io/transport-node";
import { z } from "zod";
import { natsConfigSchema } from "../config/base.ts";
import { ConfigError } from "../config/errors.ts";
import { readConfigFile } from "../config/file.ts";
import { loadConfig } from "../config/load.ts";

/** The resolved `nats` config section: where the servers are and how to authenticate to them. */
export type NatsSettings = z.output<ReturnType<typeof natsConfigSchema>>;

/** A file a `nats.*File` key names, or a ConfigError naming the key. */
function readKeyFile(key: string, file: string): Uint8Array {
  return readConfigFile(file, { key: `nats.${key}`, source: "config" });
}

/** Where the servers are: one URL, several separated by commas, or a list (a config file's `nats.url`). */
export type NatsUrl = string | readonly string[];

/**
 * The servers a `nats.url` names: one URL, several separated by commas, or a list; blanks dropped.
 * @example natsServers("nats://h1:4222, nats://h2:4222") // ["nats://h1:4222", "nats://h2:4222"]
 */
export function natsServers(url: NatsUrl): string[] {
  const parts = typeof url === "string" ? url.split(",") : url.flatMap((u) => u.split(","));
  return parts.map((u) => u.trim()).filter((u) => u !== "");
}

/**
 * The one place that turns the `nats` config section into the client's connection options: every server
 * of the cluster (the client moves to another when its server goes), reconnecting forever with a 5 s
 * connect timeout, one way to authenticate (user and password, token, `.creds` file, NKey seed file) and
 * TLS (`tls://` URLs, with `caFile` to trust a private CA). Files are read now, so a missing one fails at
 * start. `extra` carries the caller's own options (name, and any reconnect policy or timeout it wants instead).
 * @example await connect(natsConnectOptions(config.nats, { name: "orders" }));
 */
export function natsConnectOptions(
  nats: NatsSettings & { url: NatsUrl },
  extra: Omit<ConnectionOptions, "servers"> = {},
): ConnectionOptions {
  const servers = natsServers(nats.url);
  const options: ConnectionOptions = { maxReconnectAttempts: -1, timeout: 5_000, ...extra, servers };
  if (nats.user !== undefined) {
    options.user = nats.user;
    options.pass = nats.password;
  }
  if (nats.token !== undefined) options.token = nats.token;
  if (nats.credsFile) options.authenticator = credsAuthenticator(readKeyFile("credsFile", nats.credsFile));
  if (nats.nkeyFile) {
    // a seed file may hold comments or a trailing newline around the seed itself
    const text = new TextDecoder().decode(readKeyFile("nkeyFile", nats.nkeyFile));
    const seed = /\bS[A-Z2-7]{57}\b/.exec(text)?.[0];
    if (!seed) {
      throw new ConfigError([
        { key: "nats.nkeyFile", message: `the file ${nats.nkeyFile} holds no NKey seed`, source: "config" },
      ]);
    }
    options.authenticator = nkeyAuthenticator(new TextEncoder().encode(seed));
  }
  if (nats.caFile) {
    options.tls = { ca: new TextDecoder().decode(readKeyFile("caFile", nats.caFile)) };
  } else if (servers.some((s) => s.startsWith("tls://"))) {
    options.tls = {};
  }
  return options;
}

/**
 * Connects to NATS as the `nats` section says (see `natsConnectOptions`).
 * @example const nc = await connectNats(config.nats, { name: "orders" });
 */
export function connectNats(
  nats: NatsSettings & { url: NatsUrl },
  extra: Omit<ConnectionOptions, "servers"> = {},
): Promise<NatsConnection> {
  return connect(natsConnectOptions(nats, extra));
}

/**
 * The `nats` section from the environment alone (`NATS_URL`, `NATS_USER`, `NATS_PASSWORD[_FILE]`, ...), for
 * programs without a service config: the gateway and the dev stack.
 * @example const nats = natsSettingsFromEnv(process.env); if (nats.url) await connectNats({ ...nats, url: nats.url });
 */
export function natsSettingsFromEnv(env: Record<string, string | undefined>): NatsSettings {
  return loadConfig({ schema: z.object({ nats: natsConfigSchema().prefault({}) }), env }).nats;
}
