// The shape of a KrakenD version-3 file as this gateway reads it. Objects are strict so a misspelt key
// (`url_patern`) is an error naming its path; keys KrakenD knows but we do not implement are accepted
// and reported as warnings by `config.check.ts`.
import { z } from "zod";
import { durationText } from "./duration.ts";

const methods = ["GET", "POST", "PUT", "PATCH", "DELETE", "HEAD", "OPTIONS"] as const;
const method = z
  .string()
  .transform((m) => m.toUpperCase())
  .pipe(z.enum(methods));

export const backendEncodings = ["json", "safejson", "string", "no-op"] as const;
export const outputEncodings = ["json", "json-collection", "string", "no-op"] as const;

const hostUrl = z.string().regex(/^https?:\/\/[^\s/?#]+$/, "expected scheme://host[:port] without a path");
const extraConfig = z.record(z.string(), z.unknown());
const pathPattern = z.string().startsWith("/", "must start with /");

/** KrakenD keys accepted for compatibility and otherwise ignored (reported as warnings). */
export const ignoredKeys = {
  service: [
    "name",
    "$schema",
    "debug_endpoint",
    "echo_endpoint",
    "write_timeout",
    "disable_rest",
    "plugin",
    "tls",
    "sequential_start",
    "dns_cache_ttl",
    "async_agent",
  ],
  endpoint: ["concurrent_calls", "headers_to_pass", "querystring_params"],
  backend: ["sd", "disable_host_sanitize", "decoding"],
} as const;

const ignored = (keys: readonly string[]) => Object.fromEntries(keys.map((k) => [k, z.unknown().optional()]));

export const backendSchema = z.strictObject({
  host: z.array(hostUrl).min(1).optional(),
  url_pattern: pathPattern,
  method: method.optional(),
  encoding: z.enum(backendEncodings).optional(),
  is_collection: z.boolean().optional(),
  group: z.string().min(1).optional(),
  target: z.string().min(1).optional(),
  mapping: z.record(z.string(), z.string()).optional(),
  allow: z.array(z.string()).optional(),
  deny: z.array(z.string()).optional(),
  extra_config: extraConfig.optional(),
  ...ignored(ignoredKeys.backend),
});

export const endpointSchema = z.strictObject({
  endpoint: pathPattern,
  method: method.optional(),
  /** Our extension: several methods for one path without copying the endpoint. */
  methods: z.array(method).min(1).optional(),
  timeout: durationText.optional(),
  cache_ttl: durationText.optional(),
  output_encoding: z.enum(outputEncodings).optional(),
  input_headers: z.array(z.string()).optional(),
  input_query_strings: z.array(z.string()).optional(),
  backend: z.array(backendSchema).min(1, "an endpoint needs at least one backend"),
  extra_config: extraConfig.optional(),
  ...ignored(ignoredKeys.endpoint),
});

export const serviceSchema = z.strictObject({
  version: z.literal(3, { message: "only version 3 configs are supported" }),
  port: z.coerce.number().int().min(0).max(65535).optional(),
  timeout: durationText.optional(),
  cache_ttl: durationText.optional(),
  output_encoding: z.enum(outputEncodings).optional(),
  host: z.array(hostUrl).min(1).optional(),
  // the client-facing server's limits (server.limits.ts)
  read_timeout: durationText.optional(),
  read_header_timeout: durationText.optional(),
  idle_timeout: durationText.optional(),
  max_header_bytes: z.number().int().positive().optional(),
  endpoints: z.array(endpointSchema).default([]),
  extra_config: extraConfig.optional(),
  ...ignored(ignoredKeys.service),
});

export type BackendConfig = z.infer<typeof backendSchema>;
export type EndpointConfig = z.infer<typeof endpointSchema>;
export type ServiceConfig = z.infer<typeof serviceSchema>;

// ---- namespaces this gateway implements itself -------------------------------------------------

const flatmapOp = z.strictObject({
  type: z.enum(["move", "del", "append"]),
  args: z.array(z.string().min(1)).min(1).max(2),
});

/** `proxy` namespace: `sequential` (endpoint) and `flatmap_filter` (endpoint and backend). */
export const proxyNamespace = z.looseObject({
  sequential: z.boolean().optional(),
  flatmap_filter: z.array(flatmapOp).optional(),
});

/** `backend/http`: how backend errors reach the client. */
export const backendHttpNamespace = z.looseObject({
  return_error_code: z.boolean().optional(),
  return_error_msg: z.boolean().optional(),
  return_error_details: z.string().min(1).optional(),
});

/** `router` (service and endpoint): `max_payload` in bytes, as in KrakenD. */
export const routerNamespace = z.looseObject({
  max_payload: z.number().int().positive().optional(),
});

/** `gateway/endpoint` (our own): `timeout_status` is 500 as in KrakenD unless set to 504. */
export const gatewayEndpointNamespace = z.strictObject({
  timeout_status: z.union([z.literal(500), z.literal(504)]).optional(),
});

/** `gateway/backend` (our own; service level sets the default): limit on a backend response's body. */
export const gatewayBackendNamespace = z.strictObject({
  max_response_size: z.number().int().positive().optional(),
});

/** `gateway/cache-purge` (our own, service level): NATS subject whose messages purge the HTTP cache. */
export const cachePurgeNamespace = z.strictObject({
  nats_url: z.string().min(1).optional(),
  subject: z.string().min(1).default("catalog.product.changed"),
});

/** An address to listen on, KrakenD style: `:8090` (every address), `127.0.0.1:8090`, `[::1]:8090`. */
const listenAddress = z
  .string()
  .regex(/^(\[[0-9A-Fa-f:.]+\]|[A-Za-z0-9.-]*):\d{1,5}$/, "expected [host]:port, e.g. :8090 or 127.0.0.1:8090")
  .refine((a) => Number(a.slice(a.lastIndexOf(":") + 1)) <= 65535, "port above 65535");

/** `telemetry/metrics` (KrakenD CE, service level): with `listen_address`, Prometheus `/metrics` is served on
 * that address only and the public port answers it 404. KrakenD's other keys are accepted; what they tune
 * (collection period, metric groups) does not apply to our metrics, which are always collected. */
export const telemetryMetricsNamespace = z.strictObject({
  listen_address: listenAddress.optional(),
  collection_time: z.string().optional(),
  proxy_disabled: z.boolean().optional(),
  router_disabled: z.boolean().optional(),
  backend_disabled: z.boolean().optional(),
  endpoint_disabled: z.boolean().optional(),
});

/** Host and port of a listen address (`:8090` -> every address). */
export function parseListenAddress(address: string): { hostname: string | undefined; port: number } {
  const colon = address.lastIndexOf(":");
  const host = address.slice(0, colon);
  return {
    hostname: host === "" ? undefined : host.startsWith("[") ? host.slice(1, -1) : host,
    port: Number(address.slice(colon + 1)),
  };
}

export type FlatmapOp = z.infer<typeof flatmapOp>;
