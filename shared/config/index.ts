export {
  type BaseConfig,
  baseConfigShape,
  dbConfigSchema,
  defineServiceConfig,
  eventsConfigSchema,
  grpcConfigSchema,
  httpConfigSchema,
  logConfigSchema,
  natsConfigSchema,
} from "./base.ts";
export { envNameOf, standardEnvMap } from "./env.ts";
export { ConfigError, type ConfigIssue } from "./errors.ts";
export { readConfigFile, readSecretFile } from "./file.ts";
export { standardFlagAliases } from "./flags.ts";
export { type LoadConfigOptions, loadConfig } from "./load.ts";
export { isSecret, REDACTED, redact, redactValue, secret } from "./secret.ts";
