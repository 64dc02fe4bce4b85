import { z } from "zod";
import { identityConfigSchema } from "../identity/config.ts";
import { telemetryConfigSchema } from "../telemetry/config.ts";
import { secret } from "./secret.ts";

/** The `http` section: where the server listens and how it drains. */
export function httpConfigSchema(defaults: { port: number }) {
  return z.object({
    host: z.string().default("0.0.0.0"),
    port: z.number().int().min(0).max(65535).default(defaults.port),
    bodyLimitBytes: z
      .number()
      .int()
      .positive()
      .default(1024 * 1024),
    drainMs: z.number().int().nonnegative().default(10_000),
    trustProxy: z.boolean().optional(),
  });
}

/** The `db` section: no `url` means the kit starts an embedded PostgreSQL in `dataDir`. */
export function dbConfigSchema() {
  return z.object({
    url: secret(z.string()).optional(),
    pool: z
      .object({
        max: z.number().int().positive().default(10),
        idleTimeoutSec: z.number().nonnegative().default(30),
        connectTimeoutSec: z.number().nonnegative().default(10),
      })
      .prefault({}),
    dataDir: z.string().default(".data/pg"),
  });
}

/** The `log` section. */
export function logConfigSchema() {
  return z.object({
    level: z.enum(["trace", "debug", "info", "warn", "error", "fatal", "silent"]).default("info"),
    pretty: z.boolean().default(false),
  });
}

/**
 * The `nats` section: no `url` means the in-process bus. `url` names one server, several separated by commas
 * (`NATS_URL=nats://h1:4222,nats://h2:4222`), or a list in a config file; clients are given them all.
 */
export function natsConfigSchema() {
  return z.object({ url: secret(z.union([z.string().min(1), z.array(z.string().min(1)).min(1)])).optional() });
}

/** The `events` section: how the streams a service creates are stored. */
export function eventsConfigSchema() {
  return z.object({
    replicas: z
      .number()
      .int()
      .min(1)
      .max(5)
      .default(1)
      .describe(
        "replicas of every stream the service creates (3 on a NATS cluster); raised on an existing stream at the next start",
      ),
  });
}

/** The sections every service has, as a zod shape to spread into a service's own object. */
export function baseConfigShape(defaults: { port: number }) {
  return {
    http: httpConfigSchema(defaults).prefault({}),
    db: dbConfigSchema().prefault({}),
    log: logConfigSchema().prefault({}),
    nats: natsConfigSchema().prefault({}),
    events: eventsConfigSchema().prefault({}),
    /** Defence in depth: verify the access token the gateway forwards (off by default). */
    identity: identityConfigSchema().prefault({}),
    telemetry: telemetryConfigSchema().prefault({}),
    migrateOnStart: z.boolean().default(true).describe("apply pending migrations before serving"),
  };
}

/** The full config schema of a service: base sections plus its own; `name` gives the env prefix. */
export function defineServiceConfig<Extra extends z.ZodRawShape = Record<never, never>>(
  name: string,
  extraShape: Extra = {} as Extra,
  defaults: { port: number } = { port: 3000 },
) {
  return z.object({ ...baseConfigShape(defaults), ...extraShape }).meta({ service: name });
}

/** The config every service shares (what the kit reads from a service's config). */
export type BaseConfig = z.output<z.ZodObject<ReturnType<typeof baseConfigShape>>>;
