// The compiled form of endpoints and backends: everything a request needs, resolved once per config.
import type { LogIds } from "@shared/telemetry";
import type { Data } from "../shaping/data.ts";
import type { UrlTemplate } from "./backend.ts";
import type { AllowList } from "./forward.ts";

/** The part of a client request the security, traffic and cache modules read. */
export interface RequestView {
  method: string;
  headers: { get(name: string): string | null; has(name: string): boolean };
}

/** `qos/circuit-breaker` as the traffic module implements it; `ids` are the calling request's, for the state-change line. */
export interface Breaker {
  allow(ids?: LogIds): boolean;
  onSuccess(ids?: LogIds): void;
  onFailure(ids?: LogIds): void;
  state(): "closed" | "open" | "half-open";
}

/** A cached backend answer. */
export interface CachedAnswer {
  status: number;
  headers: Record<string, string>;
  body: Uint8Array<ArrayBuffer>;
}

/** What a cache lookup finds: a fresh answer, a stale one to revalidate with the given headers, or nothing. */
export type CacheFound =
  | { kind: "hit"; response: CachedAnswer; age: number }
  | { kind: "stale"; response: CachedAnswer; revalidate: Record<string, string> }
  | { kind: "miss" };

/**
 * `qos/http-cache` as the caching module implements it: `store` is given every GET answer and returns
 * the refreshed entry when the answer was a 304 to a revalidation.
 */
export interface BackendCache {
  lookup(url: string, req: RequestView): CacheFound;
  store(
    url: string,
    req: RequestView,
    res: { status: number; headers: Headers | Record<string, string>; body: Uint8Array<ArrayBuffer> },
  ): CachedAnswer | undefined;
  purge(): void;
}

/** The outcome of `auth/validator`. */
export type AuthVerdict =
  | { ok: true; claims: Record<string, unknown> }
  | { ok: false; status: 401 | 403; message: string };

/** `auth/validator` as the security module implements it. */
export interface Validator {
  /** Synchronous when it can be (cached token, known key): the hot path then awaits nothing. */
  validate(req: RequestView): AuthVerdict | Promise<AuthVerdict>;
}

/** `qos/ratelimit/router` as the traffic module implements it. */
export interface RateLimit {
  check(
    req: RequestView,
    clientIp: string,
  ): { ok: true; headers: Record<string, string> } | { ok: false; status: 429 | 503; headers: Record<string, string> };
}

/** Observations the pipeline reports; `main.ts` binds them to Prometheus. */
export interface PipelineMetrics {
  backend(label: string, seconds: number, outcome: string): void;
  cacheHit(label: string): void;
}

/** One backend, compiled. */
export interface BackendRuntime {
  index: number;
  /** `host + url_pattern` of the first host, for metrics and logs. */
  label: string;
  /** `scheme://host[:port]` (the config refuses paths), so each is also the upstream origin. */
  hosts: string[];
  cursor: number;
  method: string | null;
  url: UrlTemplate;
  /** The whole URL of a backend with one host and a `url_pattern` without placeholders: a request without
   * query or wildcard rest calls exactly this (the cache's fast path keys on it without building a string). */
  fixedUrl: string | null;
  encoding: "json" | "safejson" | "string" | "no-op";
  isCollection: boolean;
  shape: (d: Data) => Data;
  errors: { code: boolean; msg: boolean; details: string | null };
  /** Response body limit in bytes; `null` streams pass-through bodies unchecked. */
  maxBytes: number | null;
  breaker: Breaker | null;
  cache: BackendCache | null;
}

/** One (method, path) route, compiled. */
export interface EndpointRuntime {
  /** `GET /api/users/{id}` */
  id: string;
  path: string;
  method: string;
  params: string[];
  wildcard: boolean;
  timeoutMs: number;
  /** 85% of the timeout: how long a merge waits before answering with what it has. */
  mergeTimeoutMs: number;
  cacheControl: string | null;
  output: "json" | "json-collection" | "string" | "no-op";
  sequential: boolean;
  shapeMerged: ((d: Data) => Data) | null;
  inputHeaders: AllowList;
  inputQuery: AllowList;
  maxPayload: number;
  timeoutStatus: 500 | 504;
  backends: BackendRuntime[];
  auth: Validator | null;
  /** `propagate_claims` headers for verified claims, names lower-case. */
  claimHeaders: ((claims: Record<string, unknown>) => Record<string, string>) | null;
  rateLimit: RateLimit | null;
}
