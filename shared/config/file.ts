import { readFileSync } from "node:fs";
import { ConfigError } from "./errors.ts";

/**
 * The bytes of a file the configuration names (a secret, a key, a CA), or a ConfigError naming the key, the
 * file and why it could not be read (`ENOENT`, `EISDIR`, ...), so a wrong path stops the service at start.
 * @example readConfigFile(config.nats.caFile, { key: "nats.caFile", source: "config" })
 */
export function readConfigFile(file: string, issue: { key: string; source: string }): Buffer {
  try {
    return readFileSync(file);
  } catch (err) {
    const why = (err as NodeJS.ErrnoException).code ?? (err as Error).message;
    throw new ConfigError([{ ...issue, message: `cannot read the file ${file} (${why})` }]);
  }
}

/**
 * A secret's value from a file (Docker and Kubernetes secrets, systemd credentials), without its trailing
 * newline; a ConfigError as {@link readConfigFile} when the file cannot be read.
 * @example readSecretFile("/run/secrets/db_url", { key: "db.url", source: "env DATABASE_URL_FILE" })
 */
export function readSecretFile(file: string, issue: { key: string; source: string }): string {
  return readConfigFile(file, issue)
    .toString("utf8")
    .replace(/[\r\n]+$/, "");
}
