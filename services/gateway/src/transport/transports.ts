// The transports a gateway can serve on, by the name `GATEWAY_SERVER` gives.
import { listenHttp1 } from "../http1/server.ts";
import { bunTransport } from "./bun.transport.ts";
import type { Transport } from "./transport.ts";

/** The gateway's own HTTP/1.1 server on `Bun.listen` (the default). */
const http1Transport: Transport = {
  listen: (opts) =>
    listenHttp1({
      port: opts.port,
      hostname: opts.hostname,
      handler: opts.handler,
      problem: opts.problem,
      onError: opts.onError,
      readTimeoutMs: opts.limits.readTimeoutMs,
      headerTimeoutMs: opts.limits.headerTimeoutMs,
      idleTimeoutMs: opts.limits.idleTimeoutMs,
      maxHeaderBytes: opts.limits.maxHeaderBytes,
      maxConnections: opts.limits.maxConnections,
    }),
};

/** Every transport by name. */
export const transports = { http1: http1Transport, bun: bunTransport } satisfies Record<string, Transport>;

/** The name of a transport. */
export type TransportName = keyof typeof transports;

/** The transport a setting names (`GATEWAY_SERVER`); the HTTP/1.1 server when it names none. */
export function transportNamed(value: string | undefined): TransportName {
  return value !== undefined && Object.hasOwn(transports, value) ? (value as TransportName) : "http1";
}
