/**
 * The logging surface the database part needs. A pino `Logger` satisfies it; so does a test spy.
 * Declared here (consumer-owned) so `shared/db` does not depend on `shared/log`.
 */
export interface DbLogger {
  debug(obj: object, msg?: string): void;
  info(obj: object, msg?: string): void;
  warn(obj: object, msg?: string): void;
  error(obj: object, msg?: string): void;
}

/** A logger that drops everything, used when the caller passes none. */
export const silentLogger: DbLogger = {
  debug: () => {},
  info: () => {},
  warn: () => {},
  error: () => {},
};
