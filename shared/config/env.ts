import type { z } from "zod";
import { otelEnvMap } from "../telemetry/config.ts";
import { ConfigError } from "./errors.ts";
import { readSecretFile } from "./file.ts";
import { leafPaths, schemaAt } from "./schema-walk.ts";
import { isSecret } from "./secret.ts";

/** Environment names every service understands, mapped to config paths (used only if the path exists). */
export const standardEnvMap: Readonly<Record<string, string>> = {
  PORT: "http.port",
  DATABASE_URL: "db.url",
  NATS_URL: "nats.url",
  NATS_USER: "nats.user",
  NATS_PASSWORD: "nats.password",
  NATS_TOKEN: "nats.token",
  NATS_CREDS_FILE: "nats.credsFile",
  NATS_NKEY_FILE: "nats.nkeyFile",
  NATS_CA_FILE: "nats.caFile",
  NATS_STREAM_REPLICAS: "events.replicas",
  MIGRATE_ON_START: "migrateOnStart",
  GRPC_PORT: "grpc.port",
  LOG_LEVEL: "log.level",
  LOG_PRETTY: "log.pretty",
  ...otelEnvMap,
};

/** One raw string for one config path, with where it came from. */
export interface RawEntry {
  path: string[];
  raw: string;
  source: string;
}

/** `bodyLimitBytes` -> `BODY_LIMIT_BYTES`. */
function upperSnake(key: string): string {
  return key
    .replace(/([a-z0-9])([A-Z])/g, "$1_$2")
    .replace(/[-.]/g, "_")
    .toUpperCase();
}

/** The prefixed environment name of a config path, e.g. (`USERS`, [`db`,`pool`,`max`]) -> `USERS_DB_POOL_MAX`. */
export function envNameOf(prefix: string, path: readonly string[]): string {
  return [upperSnake(prefix), ...path.map(upperSnake)].join("_");
}

/** The suffix of the variable that names a file holding a secret's value (Docker and Kubernetes secrets). */
export const fileSuffix = "_FILE";

/**
 * Raw values from the environment in increasing precedence: standard names, then the service's
 * `envMap`, then `<PREFIX>_<PATH>` (the most specific name wins). Empty strings count as unset.
 * A key marked `secret` may instead come from the file named by `<NAME>_FILE`; setting both `NAME` and
 * `NAME_FILE` is a ConfigError, so no one wonders which of the two is used.
 */
export function readEnv(
  schema: z.core.$ZodType,
  env: Record<string, string | undefined>,
  options: { envMap?: Record<string, string>; envPrefix?: string },
): RawEntry[] {
  const entries: RawEntry[] = [];
  const add = (name: string, path: string[]) => {
    const raw = env[name];
    const fileName = `${name}${fileSuffix}`;
    const file = isSecret(schemaAt(schema, path)!) ? env[fileName] : undefined;
    if (file !== undefined && file !== "") {
      if (raw !== undefined && raw !== "") {
        throw new ConfigError([
          { key: path.join("."), message: `set ${name} or ${fileName}, not both`, source: `env ${name}` },
        ]);
      }
      const value = readSecretFile(file, { key: path.join("."), source: `env ${fileName}` });
      if (value !== "") entries.push({ path, raw: value, source: `env ${fileName}` });
      return;
    }
    if (raw !== undefined && raw !== "") entries.push({ path, raw, source: `env ${name}` });
  };
  for (const [name, dotted] of Object.entries(standardEnvMap)) {
    const path = dotted.split(".");
    if (schemaAt(schema, path)) add(name, path);
  }
  for (const [name, dotted] of Object.entries(options.envMap ?? {})) {
    const path = dotted.split(".");
    if (!schemaAt(schema, path)) {
      throw new ConfigError([
        { key: dotted, message: `envMap names a key the schema lacks`, source: `envMap ${name}` },
      ]);
    }
    add(name, path);
  }
  if (options.envPrefix) {
    for (const path of leafPaths(schema)) add(envNameOf(options.envPrefix, path), path);
  }
  return entries;
}
