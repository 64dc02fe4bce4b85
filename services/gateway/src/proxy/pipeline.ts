// Running one endpoint: a pass-through call, or backends merged in parallel / in sequence, with KrakenD's
// completeness header, error strategies and timeouts. Answers travel by calls (`Sink`), not promises.

import type { LogIds } from "@shared/telemetry";
import type { Data } from "../shaping/data.ts";
import { renderOutput } from "../shaping/encoding.ts";
import type { Sink } from "../transport/deferred.ts";
import type { Answer } from "../transport/transport.ts";
import { type BackendFailure, failureOf, fillUrl, toData } from "./backend.ts";
import type { BackendRuntime, CacheFound, EndpointRuntime, PipelineMetrics } from "./endpoint.types.ts";
import type { HeaderLines } from "./forward.ts";
import { passThroughAnswer } from "./pass-through.ts";
import { problem } from "./problem.ts";
import type { Upstream, UpstreamAnswer, UpstreamCall } from "./upstream.ts";

/** A cache lookup already made for a backend URL (see the cache's pass-through fast path). */
export interface PriorLookup {
  url: string;
  found: CacheFound;
}

/** Sends a backend's GET through its `qos/http-cache` (the cache module implements it). */
export interface CacheFront {
  /**
   * `prior` is reused when it was made for the same URL, so a miss is counted once. `noted` hears once
   * whether the answer came from the cache (a fresh entry, or a stale one the backend confirmed).
   */
  send(
    be: BackendRuntime,
    call: UpstreamCall,
    prior: PriorLookup | null,
    to: Sink<UpstreamAnswer>,
    noted?: (hit: boolean) => void,
  ): void;
}

/** Everything about one client request its backend calls need, prepared by the server. */
export interface RequestScope {
  method: string;
  params: string[];
  rest: string | null;
  /** Query already filtered by `input_query_strings`. */
  query: string;
  headers: HeaderLines;
  body: Uint8Array | ReadableStream<Uint8Array> | null;
  claims: Record<string, unknown> | null;
  requestId: string;
  metrics: PipelineMetrics;
  /** Sends backend calls (keep-alive HTTP/1.1 client, or fetch). */
  upstream: Upstream;
  /** Sends GETs of backends with a cache. */
  cache: CacheFront;
  /** A cache lookup the server already made for this request. */
  cached: PriorLookup | null;
  /** Client spans for the backend calls of a traced request; null when it is not traced. */
  trace: BackendTracer | null;
  /** The ids a log line written for this request carries (its span's); undefined when tracing is off. */
  readonly logIds: LogIds | undefined;
}

/** Opens a client span per backend call (the telemetry module implements it): the sink ends it. */
export interface BackendTracer {
  backend(
    label: string,
    method: string,
    origin: string,
    path: string,
    headers: HeaderLines,
    to: Sink<UpstreamAnswer>,
  ): Sink<UpstreamAnswer> & { readonly headers: HeaderLines; note(name: string, value: string | boolean): void };
}

/** What one decoding backend call brought: its data, or why there is none. */
type BackendResult = { ok: true; data: Data } | { ok: false; failure: BackendFailure };

const COMPLETED = "X-Krakend-Completed";
const NONE: (Data | undefined)[] = [];

function hostOf(be: BackendRuntime): string {
  return be.hosts.length === 1 ? be.hosts[0]! : be.hosts[be.cursor++ % be.hosts.length]!;
}

function pathOf(be: BackendRuntime, scope: RequestScope, responses: (Data | undefined)[]): string {
  return fillUrl(be.url, { params: scope.params, rest: scope.rest, responses, claims: scope.claims }, scope.query);
}

function bodyFor(method: string, body: RequestScope["body"]): RequestScope["body"] {
  return method === "GET" || method === "HEAD" ? null : body;
}

/** One decoding backend call: the answer, or the failure, becomes a `BackendResult` for `done`, with the
 * breaker and the metrics told. It takes the answer straight from the upstream client, without a promise in between. */
class BackendCall implements Sink<UpstreamAnswer> {
  constructor(
    private readonly be: BackendRuntime,
    private readonly metrics: PipelineMetrics,
    /** `performance.now()` when the call was sent (a merge reads the clock once for all its calls). */
    private readonly started: number,
    private readonly maxBytes: number,
    private readonly done: (result: BackendResult) => void,
    private readonly ids: LogIds | undefined,
  ) {}

  answer(answer: UpstreamAnswer): void {
    const be = this.be;
    let result: BackendResult;
    try {
      result = toData(answer, { encoding: decodingOf(be), isCollection: be.isCollection, maxBytes: this.maxBytes });
    } catch (err) {
      result = { ok: false, failure: failureOf(err) };
    }
    this.settle(result);
  }

  fail(err: unknown): void {
    this.settle({ ok: false, failure: failureOf(err) });
  }

  private settle(result: BackendResult): void {
    const be = this.be;
    if (be.breaker) {
      if (result.ok) be.breaker.onSuccess(this.ids);
      else be.breaker.onFailure(this.ids);
    }
    this.metrics.backend(be.label, (performance.now() - this.started) / 1000, result.ok ? "ok" : result.failure.kind);
    this.done(result);
  }
}

/** Starts one decoding backend call; its result (unshaped) goes to `done`, which may run before this returns
 * (an open breaker, an unusable URL). */
function callBackend(
  be: BackendRuntime,
  scope: RequestScope,
  responses: (Data | undefined)[],
  started: number,
  deadline: number,
  done: (result: BackendResult) => void,
): void {
  if (be.breaker && !be.breaker.allow(scope.logIds)) {
    done({ ok: false, failure: { kind: "circuit_open" } });
    return;
  }
  const maxBytes = be.maxBytes ?? Number.POSITIVE_INFINITY;
  sendTo(
    be,
    scope,
    responses,
    deadline,
    maxBytes,
    false,
    new BackendCall(be, scope.metrics, started, maxBytes, done, scope.logIds),
  );
}

/** Sends one backend's request, through its cache for a GET when it has one; the answer, or the failure
 * (an unusable URL among them), goes to `sink`. */
function sendTo(
  be: BackendRuntime,
  scope: RequestScope,
  responses: (Data | undefined)[],
  deadline: number,
  maxBytes: number,
  stream: boolean,
  sink: Sink<UpstreamAnswer>,
): void {
  const method = be.method ?? scope.method;
  let origin: string;
  let path: string;
  try {
    origin = hostOf(be);
    path = pathOf(be, scope, responses);
  } catch (err) {
    sink.fail(err);
    return;
  }
  let headers = scope.headers;
  let noted: ((hit: boolean) => void) | undefined;
  if (scope.trace !== null) {
    const traced = scope.trace.backend(be.label, method, origin, path, headers, sink);
    headers = traced.headers;
    sink = traced;
    noted = (hit) => traced.note("gateway.cache.hit", hit);
  }
  if (be.cache && method === "GET") {
    const call = { origin, path, method, headers, body: null, deadline, maxBytes, stream: false };
    scope.cache.send(be, call, scope.cached, sink, noted);
    return;
  }
  const body = bodyFor(method, scope.body);
  scope.upstream.send({ origin, path, method, headers, body, deadline, maxBytes, stream }, sink);
}

/** The result with the backend's shaping rules applied to its data. */
function shaped(be: BackendRuntime, result: BackendResult): BackendResult {
  if (result.ok) result.data = be.shape(result.data);
  return result;
}

function decodingOf(be: BackendRuntime): "json" | "safejson" | "string" {
  return be.encoding === "no-op" ? "json" : be.encoding;
}

/** A pass-through call's answer: the backend's, or a problem when it failed; the breaker and metrics told. */
class PassThroughCall implements Sink<UpstreamAnswer> {
  readonly started = performance.now();
  constructor(
    private readonly ep: EndpointRuntime,
    private readonly scope: RequestScope,
    private readonly to: Sink<Answer>,
  ) {}

  answer(answer: UpstreamAnswer): void {
    const be = this.ep.backends[0]!;
    if (be.breaker) {
      if (answer.status >= 500) be.breaker.onFailure(this.scope.logIds);
      else be.breaker.onSuccess(this.scope.logIds);
    }
    const kind = answer.status >= 500 ? "status" : "ok";
    this.scope.metrics.backend(be.label, (performance.now() - this.started) / 1000, kind);
    let out: Answer;
    try {
      out = passThroughAnswer(this.ep, answer, this.scope.requestId);
    } catch (err) {
      this.to.fail(err);
      return;
    }
    this.to.answer(out);
  }

  fail(err: unknown): void {
    const be = this.ep.backends[0]!;
    be.breaker?.onFailure(this.scope.logIds);
    const failure = failureOf(err);
    this.scope.metrics.backend(be.label, (performance.now() - this.started) / 1000, failure.kind);
    this.to.answer(failureResponse(this.ep, failure, this.scope.requestId));
  }
}

/** A pass-through call: status, headers and body of the one backend reach the client. */
export function runPassThrough(ep: EndpointRuntime, scope: RequestScope, to: Sink<Answer>): void {
  const be = ep.backends[0]!;
  if (be.breaker && !be.breaker.allow(scope.logIds)) {
    to.answer(problem("internal", "backend unavailable", scope.requestId));
    return;
  }
  const sink = new PassThroughCall(ep, scope, to);
  // pass-through bodies stream unchecked unless a limit is configured
  const maxBytes = be.maxBytes ?? Number.POSITIVE_INFINITY;
  sendTo(be, scope, NONE, sink.started + ep.timeoutMs, maxBytes, be.maxBytes === null, sink);
}

/** Backends in parallel, each bounded by 85% of the endpoint timeout; whatever arrived is merged. */
export function runMerge(ep: EndpointRuntime, scope: RequestScope, to: Sink<Answer>): void {
  const backends = ep.backends;
  const started = performance.now();
  const deadline = started + (backends.length > 1 ? ep.mergeTimeoutMs : ep.timeoutMs);
  const results: BackendResult[] = new Array(backends.length);
  let left = backends.length;
  // every call is sent before any answer can arrive (only failures come at once), so they run side by side
  for (let i = 0; i < backends.length; i++) {
    const be = backends[i]!;
    callBackend(be, scope, NONE, started, deadline, (result) => {
      let out: Answer;
      try {
        results[i] = shaped(be, result);
        if (--left > 0) return;
        out = finish(ep, results, scope.requestId);
      } catch (err) {
        to.fail(err);
        return;
      }
      to.answer(out);
    });
  }
}

/** Backends one after another; `{respN_field}` reads earlier answers; the first failure stops the chain. */
export function runSequential(ep: EndpointRuntime, scope: RequestScope, to: Sink<Answer>): void {
  sequence(ep, scope).then(
    (answer) => to.answer(answer),
    (err) => to.fail(err),
  );
}

async function sequence(ep: EndpointRuntime, scope: RequestScope): Promise<Answer> {
  const deadline = performance.now() + ep.mergeTimeoutMs;
  const responses: (Data | undefined)[] = [];
  const results: BackendResult[] = [];
  for (const be of ep.backends) {
    const started = performance.now();
    const result = shaped(
      be,
      await new Promise<BackendResult>((done) => callBackend(be, scope, responses, started, deadline, done)),
    );
    results.push(result);
    if (!result.ok) break;
    responses.push(result.data);
  }
  for (let i = results.length; i < ep.backends.length; i++) results.push({ ok: false, failure: { kind: "network" } });
  return finish(ep, results, scope.requestId);
}

function errorDetails(be: BackendRuntime, failure: BackendFailure): Data | null {
  if (!be.errors.details) return null;
  return {
    [`error_${be.errors.details}`]: {
      http_status_code: failure.status ?? 0,
      http_body: failure.body ?? "",
      // KrakenD's name for the media type of http_body: the backend's Content-Type
      http_body_encoding: failure.contentType ?? "",
    },
  };
}

function failureResponse(ep: EndpointRuntime, failure: BackendFailure, requestId: string): Answer {
  if (failure.kind === "timeout") {
    return problem(ep.timeoutStatus === 504 ? "timeout" : "internal", "backend timed out", requestId, {
      [COMPLETED]: "false",
    });
  }
  return problem("internal", "backend failed", requestId, { [COMPLETED]: "false" });
}

function finish(ep: EndpointRuntime, results: BackendResult[], requestId: string): Answer {
  let merged: Data = {};
  let okCount = 0;
  let firstFailure: { be: BackendRuntime; failure: BackendFailure } | null = null;
  let details: Data | null = null;
  for (let i = 0; i < results.length; i++) {
    const o = results[i]!;
    const be = ep.backends[i]!;
    if (o.ok) {
      okCount++;
      // every backend's data is its own fresh object: the first one takes the others' fields
      merged = okCount === 1 ? o.data : Object.assign(merged, o.data);
    } else {
      firstFailure ??= { be, failure: o.failure };
      const d = errorDetails(be, o.failure);
      if (d) details = Object.assign(details ?? {}, d);
    }
  }
  const complete = okCount === results.length;
  const headers = [COMPLETED, complete ? "true" : "false", "x-request-id", requestId];

  if (okCount === 0 && firstFailure) {
    const { be, failure } = firstFailure as { be: BackendRuntime; failure: BackendFailure };
    if (be.errors.code && failure.kind === "status" && failure.status) {
      const body = be.errors.msg ? (failure.body ?? "") : details ? JSON.stringify(details) : "";
      // the backend's own error body keeps its media type (a problem+json stays one)
      if (be.errors.msg) {
        if (body) headers.push("content-type", failure.contentType ?? "text/plain; charset=utf-8");
      } else if (details) headers.push("content-type", "application/json; charset=utf-8");
      return { status: failure.status, headers, body: body || null };
    }
    if (details) {
      headers.push("content-type", "application/json; charset=utf-8");
      return { status: 500, headers, body: JSON.stringify(details) };
    }
    return failureResponse(ep, failure, requestId);
  }

  if (details) Object.assign(merged, details);
  if (ep.shapeMerged) merged = ep.shapeMerged(merged);
  const out = renderOutput(merged, ep.output === "no-op" ? "json" : ep.output);
  headers.push("content-type", out.contentType);
  if (complete && ep.cacheControl) headers.push("cache-control", ep.cacheControl);
  return { status: 200, headers, body: out.body };
}
