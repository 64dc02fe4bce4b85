import type { NatsConnection } from "@nats-io/transport-node";
import { connectNats, type NatsSettings } from "../nats/connect.ts";
import type { RequestTransport } from "./client.ts";
import type { Endpoint } from "./contract.ts";
import { LocalBus } from "./local.ts";
import { natsTransport, serveOverNats } from "./nats.ts";

/** Who serves: the name, version and description shown by `$SRV.INFO`. */
export interface ServiceIdentity {
  name: string;
  version: string;
  description?: string;
}

/**
 * Where a service publishes its endpoints and reaches other services' endpoints: NATS in production,
 * the in-process LocalBus in the single-process dev stack. Services only see this interface.
 */
export interface EndpointBus {
  /** Serves endpoints; the handle stops serving them (before the HTTP drain ends). */
  serve(service: ServiceIdentity, endpoints: readonly Endpoint[]): Promise<{ stop(): Promise<void> }>;
  /** What clients send requests through. */
  readonly transport: RequestTransport;
  /** Resolves when the bus is reachable (readiness). */
  ping(): Promise<void>;
  /** Closes the connection, if the bus owns one. */
  close(): Promise<void>;
}

interface LoggerLike {
  error(obj: object, msg?: string): void;
  warn(obj: object, msg?: string): void;
}

/** An EndpointBus over one NATS connection. */
export function natsBus(nc: NatsConnection, logger: LoggerLike): EndpointBus {
  return {
    transport: natsTransport(nc),
    async serve(service, endpoints) {
      const served = await serveOverNats({ nc, service, endpoints, logger });
      return { stop: async () => void (await served.stop()) };
    },
    async ping() {
      await nc.flush();
    },
    async close() {
      await nc.drain();
    },
  };
}

/** An EndpointBus over an in-process LocalBus (shared by every service of one process). */
export function localBus(bus: LocalBus = new LocalBus()): EndpointBus {
  return {
    transport: bus,
    async serve(_service, endpoints) {
      bus.serve(endpoints);
      return { stop: async () => bus.unserve(endpoints.map((e) => e.name)) };
    },
    async ping() {},
    async close() {},
  };
}

/**
 * Connects the bus a config asks for: NATS when its `nats` section has a URL (every server of a list,
 * reconnecting forever, named after the service), else a private in-process bus.
 */
export async function connectBus(options: {
  nats: NatsSettings;
  name: string;
  logger: LoggerLike;
}): Promise<EndpointBus> {
  const { url } = options.nats;
  if (!url) return localBus();
  const nc = await connectNats({ ...options.nats, url }, { name: options.name });
  void (async () => {
    for await (const s of nc.status()) {
      if (s.type === "disconnect" || s.type === "error") options.logger.warn({ nats: s.type }, "nats connection");
    }
  })();
  return natsBus(nc, options.logger);
}
