// The client-facing server's limits, from KrakenD's service-level keys (`read_timeout`,
// `read_header_timeout`, `idle_timeout`, `max_header_bytes`) and our `gateway/server` namespace
// (`max_connections`). Read once at start: a reload that changes them takes a restart, like `port`.
import { z } from "zod";
import { parseDuration } from "./duration.ts";
import { parseNamespace } from "./namespace.ts";

/** The limits a transport enforces on client connections; 0 means no limit. */
export interface ServerLimits {
  /** The whole request, head and body, from its first byte (KrakenD's `read_timeout`). */
  readTimeoutMs: number;
  /** The head alone, from its first byte (`read_header_timeout`). */
  headerTimeoutMs: number;
  /** A keep-alive connection waiting for its next request, or an upload or answer that stalls (`idle_timeout`). */
  idleTimeoutMs: number;
  /** Request line and headers, in bytes (`max_header_bytes`): 431 past it. */
  maxHeaderBytes: number;
  /** Connections served at once (`gateway/server.max_connections`): one more is answered 503 and closed. */
  maxConnections: number;
}

/** The namespace name of our server settings. */
export const SERVER_NAMESPACE = "gateway/server";

/** `gateway/server` (our own, service level): `max_connections`, unlimited when absent. */
export const gatewayServerNamespace = z.strictObject({
  max_connections: z.number().int().positive().optional(),
});

/** Our defaults where KrakenD's (Go's) would be none: a body dripped byte by byte must end somewhere. */
export const defaultServerLimits: ServerLimits = {
  readTimeoutMs: 60_000,
  headerTimeoutMs: 10_000,
  idleTimeoutMs: 30_000,
  maxHeaderBytes: 16 * 1024,
  maxConnections: 0,
};

/** The parts of a config the limits come from. */
export interface ServerLimitKeys {
  read_timeout?: unknown;
  read_header_timeout?: unknown;
  idle_timeout?: unknown;
  max_header_bytes?: number;
  extra_config?: Record<string, unknown>;
}

const ms = (value: unknown): number | undefined =>
  typeof value === "string" || typeof value === "number" ? (parseDuration(value) ?? undefined) : undefined;

/**
 * The server limits of a validated config. As in KrakenD, an explicit zero `read_header_timeout` or
 * `idle_timeout` falls back to `read_timeout`, and zero there means no limit; an unset key takes our default.
 */
export function serverLimitsOf(config: ServerLimitKeys): ServerLimits {
  const read = ms(config.read_timeout) ?? defaultServerLimits.readTimeoutMs;
  const fallback = (value: number | undefined, otherwise: number) =>
    value === undefined ? otherwise : value === 0 ? read : value;
  const ns = parseNamespace(SERVER_NAMESPACE, gatewayServerNamespace, config.extra_config?.[SERVER_NAMESPACE]);
  return {
    readTimeoutMs: read,
    headerTimeoutMs: fallback(ms(config.read_header_timeout), defaultServerLimits.headerTimeoutMs),
    idleTimeoutMs: fallback(ms(config.idle_timeout), defaultServerLimits.idleTimeoutMs),
    maxHeaderBytes: config.max_header_bytes ?? defaultServerLimits.maxHeaderBytes,
    maxConnections: ns.max_connections ?? 0,
  };
}
