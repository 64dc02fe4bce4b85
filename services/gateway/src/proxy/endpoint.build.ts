// Compiles a validated config into the route table and endpoint runtimes, once per (re)load. Security,
// traffic and cache parts come from factories handed in by `main.ts`.

import { endpointParams } from "../config/config.check.ts";
import type { LoadedConfig } from "../config/config.load.ts";
import { GatewayConfigError } from "../config/config.load.ts";
import type { BackendConfig, EndpointConfig, FlatmapOp, ServiceConfig } from "../config/config.schema.ts";
import { parseDuration } from "../config/duration.ts";
import { isToken } from "../http1/fields.ts";
import { RouteTable } from "../routing/router.ts";
import { applyFlatmap } from "../shaping/flatmap.ts";
import { compileShaping } from "../shaping/shaping.ts";
import type { Answer } from "../transport/transport.ts";
import { compileUrl, fillUrl, type UrlInputs } from "./backend.ts";
import type {
  BackendCache,
  BackendRuntime,
  Breaker,
  EndpointRuntime,
  RateLimit,
  RequestView,
  Validator,
} from "./endpoint.types.ts";
import { compileAllowList, defaultIdentityHeaders, hopByHop } from "./forward.ts";

const FIXED: UrlInputs = { params: [], rest: null, responses: [], claims: null };

/** `security/cors` as the security module implements it. */
export interface Cors {
  preflight(req: RequestView): Answer | null;
  apply(req: RequestView, res: Answer): Answer;
}

/** Factories for the namespaces other modules implement; a configured namespace needs its factory. */
export interface GatewayFeatures {
  createJwtValidator?: (cfg: unknown) => Validator;
  claimToHeaders?: (cfg: unknown, claims: Record<string, unknown>) => Record<string, string>;
  createCors?: (cfg: unknown) => Cors;
  createRouterRateLimit?: (cfg: unknown) => RateLimit;
  createBreaker?: (cfg: unknown, label: string) => Breaker;
  createHttpCache?: (cfg: unknown, label: string) => BackendCache;
}

/** Everything one config version serves with; swapped as a whole on reload. */
export interface GatewayRuntime {
  loaded: LoadedConfig;
  table: RouteTable<EndpointRuntime>;
  endpoints: EndpointRuntime[];
  cors: Cors | null;
  identityHeaders: Set<string>;
  maxPayload: number;
}

const MiB = 1024 * 1024;
/** Default body limits: requests and decoded backend responses. */
export const DEFAULT_MAX_PAYLOAD = 10 * MiB;
export const DEFAULT_MAX_RESPONSE = 10 * MiB;

type Extra = Record<string, unknown> | undefined;
const ns = <T>(extra: Extra, name: string): T | undefined => extra?.[name] as T | undefined;

function ms(value: string | number | undefined, fallback: number): number {
  return value === undefined ? fallback : (parseDuration(value) ?? fallback);
}

/** Calls a feature factory and turns its error into a config problem naming the path. */
function feature<T>(path: string, name: string, factory: ((cfg: unknown) => T) | undefined, cfg: unknown): T {
  if (!factory) throw new GatewayConfigError([{ path, message: `${name} is not available in this build` }]);
  try {
    return factory(cfg);
  } catch (err) {
    throw new GatewayConfigError([{ path, message: (err as Error).message }]);
  }
}

function buildBackend(
  svc: ServiceConfig,
  ep: EndpointConfig,
  be: BackendConfig,
  index: number,
  at: string,
  output: string,
  features: GatewayFeatures,
): BackendRuntime {
  const extra = be.extra_config;
  const hosts = (be.host ?? svc.host ?? []).map((h) => h.replace(/\/+$/, ""));
  const label = `${hosts[0] ?? ""}${be.url_pattern}`;
  const http = ns<{ return_error_code?: boolean; return_error_msg?: boolean; return_error_details?: string }>(
    extra,
    "backend/http",
  );
  const limits =
    ns<{ max_response_size?: number }>(extra, "gateway/backend")?.max_response_size ??
    ns<{ max_response_size?: number }>(svc.extra_config, "gateway/backend")?.max_response_size;
  const encoding = be.encoding ?? (output === "no-op" ? "no-op" : "json");
  const flatmap = ns<{ flatmap_filter?: FlatmapOp[] }>(extra, "proxy")?.flatmap_filter;
  const url = compileUrl(be.url_pattern, endpointParams(ep.endpoint));
  const breakerCfg = extra?.["qos/circuit-breaker"];
  const cacheCfg = extra?.["qos/http-cache"];
  return {
    index,
    label,
    hosts,
    cursor: 0,
    method: be.method ?? null,
    url,
    fixedUrl: hosts.length === 1 && url.parts.every((p) => p.t === "lit") ? hosts[0] + fillUrl(url, FIXED, "") : null,
    encoding,
    isCollection: be.is_collection ?? false,
    shape: compileShaping({ ...be, flatmap }),
    errors: {
      code: http?.return_error_code ?? false,
      msg: http?.return_error_msg ?? false,
      details: http?.return_error_details ?? null,
    },
    maxBytes: limits ?? (encoding === "no-op" ? null : DEFAULT_MAX_RESPONSE),
    breaker:
      breakerCfg === undefined
        ? null
        : feature(
            `${at}.extra_config["qos/circuit-breaker"]`,
            "qos/circuit-breaker",
            features.createBreaker && ((c) => features.createBreaker!(c, label)),
            breakerCfg,
          ),
    cache:
      cacheCfg === undefined
        ? null
        : feature(
            `${at}.extra_config["qos/http-cache"]`,
            "qos/http-cache",
            features.createHttpCache && ((c) => features.createHttpCache!(c, label)),
            cacheCfg,
          ),
  };
}

function buildEndpoint(
  svc: ServiceConfig,
  ep: EndpointConfig,
  i: number,
  method: string,
  features: GatewayFeatures,
  servicePayload: number,
): EndpointRuntime {
  const at = `endpoints[${i}]`;
  const extra = ep.extra_config;
  const output = ep.output_encoding ?? svc.output_encoding ?? "json";
  const timeoutMs = ms(ep.timeout, ms(svc.timeout, 2000));
  const ttlMs = ep.cache_ttl !== undefined ? ms(ep.cache_ttl, 0) : ms(svc.cache_ttl, 0);
  const proxy = ns<{ sequential?: boolean; flatmap_filter?: FlatmapOp[] }>(extra, "proxy");
  const authCfg = extra?.["auth/validator"];
  const rateCfg = extra?.["qos/ratelimit/router"];
  const endpointFlatmap = proxy?.flatmap_filter;
  return {
    id: `${method} ${ep.endpoint}`,
    path: ep.endpoint,
    method,
    params: endpointParams(ep.endpoint),
    wildcard: ep.endpoint.endsWith("/*"),
    timeoutMs,
    mergeTimeoutMs: Math.floor(timeoutMs * 0.85),
    // behind auth/validator an answer is one user's: shared caches must not hand it to another (KrakenD says public)
    cacheControl: ttlMs >= 1000 ? `${authCfg ? "private" : "public"}, max-age=${Math.floor(ttlMs / 1000)}` : null,
    output,
    sequential: proxy?.sequential ?? false,
    shapeMerged: endpointFlatmap?.length ? (d) => applyFlatmap(d, endpointFlatmap) : null,
    inputHeaders: compileAllowList(ep.input_headers, ["content-type"], true),
    inputQuery: compileAllowList(ep.input_query_strings, [], false),
    maxPayload: Math.min(ns<{ max_payload?: number }>(extra, "router")?.max_payload ?? servicePayload, servicePayload),
    timeoutStatus: ns<{ timeout_status?: 500 | 504 }>(extra, "gateway/endpoint")?.timeout_status ?? 500,
    backends: ep.backend.map((be, bi) => buildBackend(svc, ep, be, bi, `${at}.backend[${bi}]`, output, features)),
    auth:
      authCfg === undefined
        ? null
        : feature(`${at}.extra_config["auth/validator"]`, "auth/validator", features.createJwtValidator, authCfg),
    claimHeaders:
      authCfg !== undefined && features.claimToHeaders ? propagated(authCfg, features.claimToHeaders) : null,
    rateLimit:
      rateCfg === undefined
        ? null
        : feature(
            `${at}.extra_config["qos/ratelimit/router"]`,
            "qos/ratelimit/router",
            features.createRouterRateLimit,
            rateCfg,
          ),
  };
}

/**
 * `propagate_claims` headers per claims object: the validator's token cache hands back the same claims
 * object for a repeated token, so its headers are rendered once rather than per request.
 */
function propagated(
  cfg: unknown,
  render: (cfg: unknown, claims: Record<string, unknown>) => Record<string, string>,
): (claims: Record<string, unknown>) => Record<string, string> {
  const rendered = new WeakMap<Record<string, unknown>, Record<string, string>>();
  return (claims) => {
    let headers = rendered.get(claims);
    if (headers === undefined) {
      // names lower-cased once per verified token, as backend requests carry them; a name that is no
      // header token, or a hop-by-hop one, is never sent
      headers = {};
      const out = render(cfg, claims);
      for (const name in out) {
        const lower = name.toLowerCase();
        if (isToken(lower) && !hopByHop.has(lower)) headers[lower] = out[name]!;
      }
      rendered.set(claims, headers);
    }
    return headers;
  };
}

/** Header names `propagate_claims` writes anywhere in the config, lower-cased. */
function propagatedHeaders(svc: ServiceConfig): string[] {
  const out: string[] = [];
  for (const ep of svc.endpoints) {
    const pairs = ns<{ propagate_claims?: unknown }>(ep.extra_config, "auth/validator")?.propagate_claims;
    if (!Array.isArray(pairs)) continue;
    for (const pair of pairs) if (Array.isArray(pair) && typeof pair[1] === "string") out.push(pair[1].toLowerCase());
  }
  return out;
}

/** Builds a runtime; throws `GatewayConfigError` when a module refuses its part of the config. */
export function buildRuntime(loaded: LoadedConfig, features: GatewayFeatures): GatewayRuntime {
  const svc = loaded.config;
  const maxPayload = ns<{ max_payload?: number }>(svc.extra_config, "router")?.max_payload ?? DEFAULT_MAX_PAYLOAD;
  const endpoints: EndpointRuntime[] = [];
  svc.endpoints.forEach((ep, i) => {
    const methods = [...new Set([...(ep.methods ?? []), ...(ep.method ? [ep.method] : [])])];
    for (const m of methods.length > 0 ? methods : ["GET"])
      endpoints.push(buildEndpoint(svc, ep, i, m, features, maxPayload));
  });
  const corsCfg = svc.extra_config?.["security/cors"];
  return {
    loaded,
    table: new RouteTable(endpoints.map((e) => ({ method: e.method, path: e.path, value: e }))),
    endpoints,
    cors:
      corsCfg === undefined
        ? null
        : feature('extra_config["security/cors"]', "security/cors", features.createCors, corsCfg),
    identityHeaders: new Set([...defaultIdentityHeaders, ...propagatedHeaders(svc)]),
    maxPayload,
  };
}
