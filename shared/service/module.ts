import type { z } from "zod";
import type { BaseConfig } from "../config/index.ts";
import type { Database } from "../db/index.ts";
import type { EndpointBus } from "../endpoint/index.ts";
import type { EventBus } from "../events/bus.ts";
import type { AccessLog, Logger } from "../log/index.ts";
import type { Telemetry } from "../telemetry/index.ts";

/** What a service is started with: resolved config and connections made by its caller. */
export interface ServiceRuntime<C extends BaseConfig = BaseConfig> {
  config: C;
  logger: Logger;
  /** The buffered access log (default: the logger). */
  accessLog?: AccessLog;
  version: string;
  database: Database;
  /** Request-reply: where the service serves endpoints and calls others'. */
  bus: EndpointBus;
  /** Events: JetStream and core NATS, or the in-process bus the dev stack shares; absent in a lone
   * binary without NATS (durable events then wait in the outbox). */
  events?: EventBus;
  /** Tracing: the service's tracer (absent or null tracer: off). */
  telemetry?: Telemetry;
}

/** A started service; `stop` stops serving on the bus and drains HTTP (the caller closes connections). */
export interface RunningService {
  url: URL;
  stop(): Promise<void>;
}

/**
 * A service as a unit the binary's main.ts and the single-process dev stack both start the same way.
 * @example export const usersModule = defineServiceModule({ name: "users", configSchema, schema, migrations, start });
 */
export interface ServiceModule<C extends BaseConfig = BaseConfig> {
  name: string;
  configSchema: z.ZodType<C>;
  /** The PostgreSQL schema the service owns. */
  schema: string;
  start(runtime: ServiceRuntime<C>): Promise<RunningService>;
}

/** Declares a service module (identity function for type inference). */
export function defineServiceModule<C extends BaseConfig>(module: ServiceModule<C>): ServiceModule<C> {
  return module;
}
