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
        connectTimeoutSec: z.number().nonnegative().default(5),
        statementTimeoutMs: z.number().int().nonnegative().default(30_000),
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
 * (`NATS_URL=nats://h1:4222,nats://h2:4222`), or a list in a config file; clients are given them all. At
 * most one way to authenticate: user and password, a token, a `.creds` file (JWT and NKey seed) or an NKey
 * seed file; `caFile` verifies a `tls://` server.
 */
export function natsConfigSchema() {
  return z
    .object({
      url: secret(z.union([z.string().min(1), z.array(z.string().min(1)).min(1)])).optional(),
      user: z.string().optional(),
      password: secret(z.string()).optional(),
      token: secret(z.string()).optional(),
      credsFile: z.string().optional().describe("a .creds file (user JWT and NKey seed), as nsc writes it"),
      nkeyFile: z.string().optional().describe("a file holding an NKey seed (SU...)"),
      caFile: z.string().optional().describe("PEM CA certificates that sign the server's TLS certificate"),
    })
    .superRefine((nats, ctx) => {
      if ((nats.user === undefined) !== (nats.password === undefined)) {
        ctx.addIssue({ code: "custom", path: ["password"], message: "nats.user and nats.password go together" });
      }
      const ways = [nats.user !== undefined, nats.token, nats.credsFile, nats.nkeyFile].filter(Boolean).length;
      if (ways > 1) {
        ctx.addIssue({
          code: "custom",
          path: ["token"],
          message: "choose one NATS authentication: user and password, token, credsFile or nkeyFile",
        });
      }
    });
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

/** The `grpc` section: the second listener (HTTP/2 without TLS) serving the service's contracts; off without a port. */
export function grpcConfigSchema() {
  return z.object({
    host: z.string().default("0.0.0.0"),
    port: z.number().int().min(0).max(65535).optional().describe("gRPC (h2c) port; unset: no gRPC listener"),
    maxMessageBytes: z
      .number()
      .int()
      .positive()
      .default(4 * 1024 * 1024)
      .describe("largest request or reply message; a larger one answers RESOURCE_EXHAUSTED"),
    defaultTimeoutMs: z
      .number()
      .int()
      .positive()
      .default(30_000)
      .describe("budget of a call that comes without grpc-timeout"),
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
    grpc: grpcConfigSchema().prefault({}),
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
