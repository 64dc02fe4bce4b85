// Running one endpoint: a pass-through (no-op) call, or backends merged in parallel / in sequence, with
// KrakenD's completeness header, error strategies and timeouts.

import { renderOutput } from "../shaping/encoding.ts";
import type { Data } from "../shaping/shaping.ts";
import {
  type BackendFailure,
  failureOf,
  fillUrl,
  readLimited,
  stripHopByHop,
  TooLargeError,
  toData,
} from "./backend.ts";
import type { BackendCache, BackendRuntime, CachedAnswer, EndpointRuntime, PipelineMetrics } from "./endpoint.types.ts";
import { problem } from "./problem.ts";
import type { UpstreamLimit } from "./upstream.limit.ts";

/** Everything about the client request a backend call needs, prepared by the server. */
export interface CallContext {
  req: Request;
  method: string;
  params: string[];
  rest: string | null;
  /** Query already filtered by `input_query_strings`. */
  query: string;
  headers: Record<string, string>;
  body: Uint8Array<ArrayBuffer> | ReadableStream<Uint8Array> | null;
  claims: Record<string, unknown> | null;
  requestId: string;
  metrics: PipelineMetrics;
  /** Bounds concurrent decoded backend calls per origin (keeps upstream keep-alive). */
  upstream: UpstreamLimit;
}

type Outcome = { ok: true; data: Data } | { ok: false; failure: BackendFailure };

const COMPLETED = "X-Krakend-Completed";

function backendUrl(be: BackendRuntime, ctx: CallContext, responses: (Data | undefined)[]): string {
  const host = be.hosts.length === 1 ? be.hosts[0]! : be.hosts[be.cursor++ % be.hosts.length]!;
  return host + fillUrl(be.url, { params: ctx.params, rest: ctx.rest, responses, claims: ctx.claims }, ctx.query);
}

function bodyFor(method: string, body: CallContext["body"]): CallContext["body"] {
  return method === "GET" || method === "HEAD" ? null : body;
}

/** Calls one decoding backend; never throws. */
async function callBackend(
  be: BackendRuntime,
  ctx: CallContext,
  responses: (Data | undefined)[],
  signal: AbortSignal,
): Promise<Outcome> {
  if (be.breaker && !be.breaker.allow()) return { ok: false, failure: { kind: "circuit_open" } };
  const started = performance.now();
  const method = be.method ?? ctx.method;
  const url = backendUrl(be, ctx, responses);
  let outcome: Outcome;
  const origin = url.slice(0, url.indexOf("/", url.indexOf("//") + 2));
  let held = false;
  try {
    const wait = ctx.upstream.acquire(origin, signal);
    if (wait) await wait;
    held = true;
    const res =
      be.cache && method === "GET"
        ? await viaCache(be, be.cache, ctx, url, signal)
        : await fetchBackend(url, method, ctx, signal, null);
    outcome = await toData(res, {
      encoding: decodingOf(be),
      isCollection: be.isCollection,
      maxBytes: be.maxBytes ?? Number.POSITIVE_INFINITY,
    });
  } catch (err) {
    const failure: BackendFailure =
      err instanceof TooLargeError ? { kind: "too_large" } : signal.aborted ? { kind: "timeout" } : failureOf(err);
    outcome = { ok: false, failure };
  } finally {
    if (held) ctx.upstream.release(origin);
  }
  if (be.breaker) {
    if (outcome.ok) be.breaker.onSuccess();
    else be.breaker.onFailure();
  }
  ctx.metrics.backend(be.label, (performance.now() - started) / 1000, outcome.ok ? "ok" : outcome.failure.kind);
  if (outcome.ok) outcome.data = be.shape(outcome.data);
  return outcome;
}

function fetchBackend(
  url: string,
  method: string,
  ctx: CallContext,
  signal: AbortSignal,
  extraHeaders: Record<string, string> | null,
): Promise<Response> {
  return fetch(url, {
    method,
    headers: extraHeaders ? { ...ctx.headers, ...extraHeaders } : ctx.headers,
    body: bodyFor(method, ctx.body),
    signal,
    redirect: "manual",
  });
}

const fromCache = (c: CachedAnswer) => new Response(c.body, { status: c.status, headers: c.headers });

/** A GET through `qos/http-cache`: fresh hits skip the backend; stale entries are revalidated. */
async function viaCache(
  be: BackendRuntime,
  cache: BackendCache,
  ctx: CallContext,
  url: string,
  signal: AbortSignal,
): Promise<Response> {
  const found = cache.lookup(url, ctx.req);
  if (found.kind === "hit") {
    ctx.metrics.cacheHit(be.label);
    return fromCache(found.response);
  }
  const res = await fetchBackend(url, "GET", ctx, signal, found.kind === "stale" ? found.revalidate : null);
  const bytes = await readLimited(res, be.maxBytes ?? Number.POSITIVE_INFINITY);
  if (bytes === null) throw new TooLargeError();
  const stored = cache.store(url, ctx.req, { status: res.status, headers: res.headers, body: bytes });
  if (res.status === 304 && found.kind === "stale") {
    ctx.metrics.cacheHit(be.label);
    return fromCache(stored ?? found.response);
  }
  const headers = new Headers(res.headers);
  // fetch decompressed the body, so the backend's encoding and length no longer describe it
  headers.delete("content-encoding");
  headers.delete("content-length");
  return new Response(bytes, { status: res.status, headers });
}

function decodingOf(be: BackendRuntime): "json" | "safejson" | "string" {
  return be.encoding === "no-op" ? "json" : be.encoding;
}

/** A pass-through call: status, headers and body of the one backend reach the client. */
export async function runNoop(ep: EndpointRuntime, ctx: CallContext): Promise<Response> {
  const be = ep.backends[0]!;
  if (be.breaker && !be.breaker.allow()) return problem("internal", "backend unavailable", ctx.requestId);
  const started = performance.now();
  const method = be.method ?? ctx.method;
  let res: Response;
  try {
    const url = backendUrl(be, ctx, []);
    const signal = AbortSignal.timeout(ep.timeoutMs);
    res =
      be.cache && method === "GET"
        ? await viaCache(be, be.cache, ctx, url, signal)
        : await fetch(url, {
            method,
            headers: ctx.headers,
            body: bodyFor(method, ctx.body),
            signal,
            redirect: "manual",
            decompress: false,
          });
  } catch (err) {
    be.breaker?.onFailure();
    const failure = err instanceof TooLargeError ? ({ kind: "too_large" } as const) : failureOf(err);
    ctx.metrics.backend(be.label, (performance.now() - started) / 1000, failure.kind);
    return failureResponse(ep, failure, ctx.requestId);
  }
  if (be.breaker) {
    if (res.status >= 500) be.breaker.onFailure();
    else be.breaker.onSuccess();
  }
  ctx.metrics.backend(be.label, (performance.now() - started) / 1000, res.status >= 500 ? "status" : "ok");
  // The fetch answer is returned as is (its headers are mutable): no copy of headers or body.
  const headers = stripHopByHop(res.headers);
  headers.set("x-request-id", ctx.requestId);
  if (ep.cacheControl && res.status === 200 && !headers.has("cache-control"))
    headers.set("cache-control", ep.cacheControl);
  if (be.maxBytes !== null) {
    const bytes = await readLimited(res, be.maxBytes).catch(() => null);
    if (bytes === null) return failureResponse(ep, { kind: "too_large" }, ctx.requestId);
    return new Response(bytes, { status: res.status, headers });
  }
  return res;
}

/** Backends in parallel, each bounded by 85% of the endpoint timeout; whatever arrived is merged. */
export async function runMerge(ep: EndpointRuntime, ctx: CallContext): Promise<Response> {
  const signal = AbortSignal.timeout(ep.backends.length > 1 ? ep.mergeTimeoutMs : ep.timeoutMs);
  const outcomes = await Promise.all(ep.backends.map((be) => callBackend(be, ctx, [], signal)));
  return finish(ep, outcomes, ctx.requestId);
}

/** Backends one after another; `{respN_field}` reads earlier answers; the first failure stops the chain. */
export async function runSequential(ep: EndpointRuntime, ctx: CallContext): Promise<Response> {
  const signal = AbortSignal.timeout(ep.mergeTimeoutMs);
  const responses: (Data | undefined)[] = [];
  const outcomes: Outcome[] = [];
  for (const be of ep.backends) {
    const outcome = await callBackend(be, ctx, responses, signal);
    outcomes.push(outcome);
    if (!outcome.ok) break;
    responses.push(outcome.data);
  }
  for (let i = outcomes.length; i < ep.backends.length; i++) outcomes.push({ ok: false, failure: { kind: "network" } });
  return finish(ep, outcomes, ctx.requestId);
}

function errorDetails(be: BackendRuntime, failure: BackendFailure): Data | null {
  if (!be.errors.details) return null;
  return {
    [`error_${be.errors.details}`]: { http_status_code: failure.status ?? 0, http_body: failure.body ?? "" },
  };
}

function failureResponse(ep: EndpointRuntime, failure: BackendFailure, requestId: string): Response {
  if (failure.kind === "timeout") {
    return problem(ep.timeoutStatus === 504 ? "timeout" : "internal", "backend timed out", requestId, {
      [COMPLETED]: "false",
    });
  }
  return problem("internal", "backend failed", requestId, { [COMPLETED]: "false" });
}

function finish(ep: EndpointRuntime, outcomes: Outcome[], requestId: string): Response {
  let merged: Data = {};
  let okCount = 0;
  let firstFailure: { be: BackendRuntime; failure: BackendFailure } | null = null;
  let details: Data | null = null;
  outcomes.forEach((o, i) => {
    const be = ep.backends[i]!;
    if (o.ok) {
      okCount++;
      merged = okCount === 1 && outcomes.length === 1 ? o.data : Object.assign(merged, o.data);
    } else {
      firstFailure ??= { be, failure: o.failure };
      const d = errorDetails(be, o.failure);
      if (d) details = Object.assign(details ?? {}, d);
    }
  });
  const complete = okCount === outcomes.length;
  const headers: Record<string, string> = { [COMPLETED]: complete ? "true" : "false", "x-request-id": requestId };

  if (okCount === 0 && firstFailure) {
    const { be, failure } = firstFailure as { be: BackendRuntime; failure: BackendFailure };
    if (be.errors.code && failure.kind === "status" && failure.status) {
      const body = be.errors.msg ? (failure.body ?? "") : details ? JSON.stringify(details) : "";
      if (details) headers["content-type"] = "application/json; charset=utf-8";
      return new Response(body || null, { status: failure.status, headers });
    }
    if (details) {
      headers["content-type"] = "application/json; charset=utf-8";
      return new Response(JSON.stringify(details), { status: 500, headers });
    }
    return failureResponse(ep, failure, requestId);
  }

  if (details) Object.assign(merged, details);
  if (ep.shapeMerged) merged = ep.shapeMerged(merged);
  const out = renderOutput(merged, ep.output === "no-op" ? "json" : ep.output);
  headers["content-type"] = out.contentType;
  if (complete && ep.cacheControl) headers["cache-control"] = ep.cacheControl;
  return new Response(out.body, { status: 200, headers });
}
