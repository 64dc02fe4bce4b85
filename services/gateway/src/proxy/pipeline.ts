// Running one endpoint: a pass-through (no-op) call, or backends merged in parallel / in sequence, with
// KrakenD's completeness header, error strategies and timeouts.

import type { Data } from "../shaping/data.ts";
import { renderOutput } from "../shaping/encoding.ts";
import type { Answer } from "./answer.ts";
import { type BackendFailure, failureOf, fillUrl, hopByHopResponse, toData } from "./backend.ts";
import type {
  BackendCache,
  BackendRuntime,
  CachedAnswer,
  CacheFound,
  EndpointRuntime,
  PipelineMetrics,
  RequestView,
} from "./endpoint.types.ts";
import { connectionOptions, filterQuery, type HeaderLines } from "./forward.ts";
import { problem } from "./problem.ts";
import { type AnswerSink, answerOf, decodedBody, type Upstream, type UpstreamAnswer } from "./upstream.ts";

/** Everything about the client request a backend call needs, prepared by the server. */
export interface CallContext {
  req: RequestView;
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
  /** A cache lookup the server already made for this URL (see `noopCacheHit`). */
  cached: { url: string; found: CacheFound } | null;
}

type Outcome = { ok: true; data: Data } | { ok: false; failure: BackendFailure };

const COMPLETED = "X-Krakend-Completed";
const NONE: (Data | undefined)[] = [];

function hostOf(be: BackendRuntime): string {
  return be.hosts.length === 1 ? be.hosts[0]! : be.hosts[be.cursor++ % be.hosts.length]!;
}

function pathOf(be: BackendRuntime, ctx: CallContext, responses: (Data | undefined)[]): string {
  return fillUrl(be.url, { params: ctx.params, rest: ctx.rest, responses, claims: ctx.claims }, ctx.query);
}

function bodyFor(method: string, body: CallContext["body"]): CallContext["body"] {
  return method === "GET" || method === "HEAD" ? null : body;
}

/** One decoding backend call: the answer, or the failure, becomes an `Outcome` for `done`, with the breaker and
 * the metrics told. It takes the answer straight from the upstream client, without a promise in between. */
class BackendCall implements AnswerSink {
  constructor(
    private readonly be: BackendRuntime,
    private readonly metrics: PipelineMetrics,
    /** `performance.now()` when the call was sent (a merge reads the clock once for all its calls). */
    private readonly started: number,
    private readonly maxBytes: number,
    private readonly done: (outcome: Outcome) => void,
  ) {}

  answer(answer: UpstreamAnswer): void {
    const be = this.be;
    let outcome: Outcome;
    try {
      outcome = toData(answer, { encoding: decodingOf(be), isCollection: be.isCollection, maxBytes: this.maxBytes });
    } catch (err) {
      outcome = { ok: false, failure: failureOf(err) };
    }
    this.settle(outcome);
  }

  fail(err: unknown): void {
    this.settle({ ok: false, failure: failureOf(err) });
  }

  private settle(outcome: Outcome): void {
    const be = this.be;
    if (be.breaker) {
      if (outcome.ok) be.breaker.onSuccess();
      else be.breaker.onFailure();
    }
    this.metrics.backend(be.label, (performance.now() - this.started) / 1000, outcome.ok ? "ok" : outcome.failure.kind);
    this.done(outcome);
  }
}

/** Starts one decoding backend call; its outcome (unshaped) goes to `done`, which may run before this returns
 * (an open breaker, an unusable URL). */
function callBackend(
  be: BackendRuntime,
  ctx: CallContext,
  responses: (Data | undefined)[],
  started: number,
  deadline: number,
  done: (outcome: Outcome) => void,
): void {
  if (be.breaker && !be.breaker.allow()) {
    done({ ok: false, failure: { kind: "circuit_open" } });
    return;
  }
  const maxBytes = be.maxBytes ?? Number.POSITIVE_INFINITY;
  sendTo(be, ctx, responses, deadline, maxBytes, false, new BackendCall(be, ctx.metrics, started, maxBytes, done));
}

/** Sends one backend's request, through its cache for a GET when it has one; the answer, or the failure
 * (an unusable URL among them), goes to `sink`. */
function sendTo(
  be: BackendRuntime,
  ctx: CallContext,
  responses: (Data | undefined)[],
  deadline: number,
  maxBytes: number,
  stream: boolean,
  sink: AnswerSink,
): void {
  const method = be.method ?? ctx.method;
  let origin: string;
  let path: string;
  try {
    origin = hostOf(be);
    path = pathOf(be, ctx, responses);
  } catch (err) {
    sink.fail(err);
    return;
  }
  if (be.cache && method === "GET") {
    viaCache(be, be.cache, ctx, origin, path, deadline).then(
      (answer) => sink.answer(answer),
      (err) => sink.fail(err),
    );
    return;
  }
  const body = bodyFor(method, ctx.body);
  ctx.upstream.send({ origin, path, method, headers: ctx.headers, body, deadline, maxBytes, stream }, sink);
}

/** The outcome with the backend's shaping rules applied to its data. */
function shaped(be: BackendRuntime, outcome: Outcome): Outcome {
  if (outcome.ok) outcome.data = be.shape(outcome.data);
  return outcome;
}

/** Cached answers as upstream answers; the pairs are built once per stored entry. */
const cachedPairs = new WeakMap<CachedAnswer, string[]>();
function fromCache(c: CachedAnswer): UpstreamAnswer {
  let headers = cachedPairs.get(c);
  if (headers === undefined) {
    headers = [];
    for (const k in c.headers) headers.push(k, c.headers[k]!);
    cachedPairs.set(c, headers);
  }
  return { status: c.status, headers, body: c.body, contentEncoding: "" };
}

function headerRecord(pairs: string[]): Record<string, string> {
  const out: Record<string, string> = {};
  for (let i = 0; i < pairs.length; i += 2) {
    const k = pairs[i]!;
    out[k] = out[k] === undefined ? pairs[i + 1]! : `${out[k]}, ${pairs[i + 1]}`;
  }
  return out;
}

/** The backend's view of a GET with these forwarded headers, for the cache's `Vary` and `Authorization`
 * rules; the header object is only built when an entry asks for it. */
export function upstreamView(headers: HeaderLines | (() => HeaderLines)): RequestView {
  let lines: HeaderLines | null = typeof headers === "function" ? null : headers;
  const record = () => {
    lines ??= (headers as () => HeaderLines)();
    return lines.record;
  };
  return {
    method: "GET",
    headers: {
      get: (name) => record()[name.toLowerCase()] ?? null,
      has: (name) => record()[name.toLowerCase()] !== undefined,
    },
  };
}

/** A GET through `qos/http-cache`: fresh hits skip the backend; stale entries are revalidated. */
async function viaCache(
  be: BackendRuntime,
  cache: BackendCache,
  ctx: CallContext,
  origin: string,
  path: string,
  deadline: number,
): Promise<UpstreamAnswer> {
  const url = origin + path;
  // Vary names headers of the request the backend got (X-User-Roles from claims, say), not the client's
  const sent = upstreamView(ctx.headers);
  const found = ctx.cached !== null && ctx.cached.url === url ? ctx.cached.found : cache.lookup(url, sent);
  if (found.kind === "hit") {
    ctx.metrics.cacheHit(be.label);
    return fromCache(found.response);
  }
  const maxBytes = be.maxBytes ?? Number.POSITIVE_INFINITY;
  const res = await answerOf(ctx.upstream, {
    origin,
    path,
    method: "GET",
    headers: found.kind === "stale" ? ctx.headers.with(found.revalidate) : ctx.headers,
    body: null,
    deadline,
    maxBytes,
    stream: false,
  });
  // entries hold identity bodies, so the stored headers drop the coding and length (the cache does too)
  const bytes = decodedBody(
    res.body instanceof Uint8Array ? res.body : new Uint8Array(0),
    res.contentEncoding,
    maxBytes,
  );
  const body = bytes as Uint8Array<ArrayBuffer>;
  const stored = cache.store(url, sent, { status: res.status, headers: headerRecord(res.headers), body });
  if (res.status === 304 && found.kind === "stale") {
    ctx.metrics.cacheHit(be.label);
    return fromCache(stored ?? found.response);
  }
  const headers: string[] = [];
  for (let i = 0; i < res.headers.length; i += 2) {
    const k = res.headers[i]!;
    if (k !== "content-encoding" && k !== "content-length") headers.push(k, res.headers[i + 1]!);
  }
  return { status: res.status, headers, body, contentEncoding: "" };
}

function decodingOf(be: BackendRuntime): "json" | "safejson" | "string" {
  return be.encoding === "no-op" ? "json" : be.encoding;
}

/** The client's answer to a pass-through call: the backend's status, headers (minus hop-by-hop) and body. */
export function passThrough(ep: EndpointRuntime, answer: UpstreamAnswer, requestId: string): Answer {
  const headers: string[] = [];
  const pairs = answer.headers;
  // the server sets the length of a body itself; HEAD answers keep the backend's
  const keepLength = answer.body === null;
  let cacheControl = false;
  // headers the backend's Connection header names are for the hop between it and us (RFC 9110 7.6.1)
  let nominated: Set<string> | null = null;
  for (let i = 0; i < pairs.length; i += 2) if (pairs[i] === "connection") nominated = connectionOptions(pairs[i + 1]);
  for (let i = 0; i < pairs.length; i += 2) {
    const name = pairs[i]!;
    if (hopByHopResponse.has(name) || name === "x-request-id" || (name === "content-length" && !keepLength)) continue;
    if (nominated?.has(name)) continue;
    if (name === "cache-control") cacheControl = true;
    headers.push(name, pairs[i + 1]!);
  }
  // the backend's headers hold no line breaks (see UpstreamAnswer); what follows is checked by the server
  const checked = headers.length >> 1;
  headers.push("x-request-id", requestId);
  if (ep.cacheControl && answer.status === 200 && !cacheControl) headers.push("cache-control", ep.cacheControl);
  return { status: answer.status, headers, body: answer.body, checked };
}

/** Per cached entry, the headers its pass-through answers start from (one cache belongs to one endpoint). */
const cachedHeaders = new WeakMap<CachedAnswer, { headers: string[]; checked: number }>();

/**
 * A pass-through GET answered from a fresh `qos/http-cache` entry without awaiting anything: the body and a
 * prebuilt header list are reused, only the request id is added. Null when the endpoint cannot answer this
 * way (auth, breaker, several hosts, another method); a lookup that missed is returned for `runNoop` to
 * reuse, so a miss is counted once.
 */
export function noopCacheHit(
  ep: EndpointRuntime,
  /** The request as the backend would get it (see `upstreamView`). */
  req: RequestView,
  params: string[],
  rest: string | null,
  rawQuery: string,
  requestId: string,
  metrics: PipelineMetrics,
): Answer | { url: string; found: CacheFound } | null {
  const be = ep.backends[0]!;
  if (be.cache === null || be.breaker !== null || be.hosts.length !== 1 || (be.method ?? "GET") !== "GET") return null;
  const query = filterQuery(rawQuery, ep.inputQuery);
  const url = be.hosts[0]! + fillUrl(be.url, { params, rest, responses: NONE, claims: null }, query);
  const found = be.cache.lookup(url, req);
  if (found.kind !== "hit") return { url, found };
  const entry = found.response;
  let base = cachedHeaders.get(entry);
  if (base === undefined) {
    const answer = passThrough(ep, fromCache(entry), "");
    // the request id the base was made with sits right after the backend's (checked) pairs
    answer.headers.splice(answer.headers.indexOf("x-request-id"), 2);
    base = { headers: answer.headers, checked: answer.checked ?? 0 };
    cachedHeaders.set(entry, base);
  }
  const headers = base.headers.slice();
  headers.push("x-request-id", requestId);
  metrics.cacheHit(be.label);
  return { status: entry.status, headers, body: entry.body, checked: base.checked };
}

/** Where an endpoint's answer goes: exactly one of the two, once, and neither may throw. It may be called
 * before the `run*` function returns (an open breaker, an unusable URL). */
export interface EndpointReply {
  answer(answer: Answer): void;
  /** An unexpected error (a bug): the caller logs it and answers 500. */
  fail(err: unknown): void;
}

/** A pass-through call's answer: the backend's, or a problem when it failed; the breaker and metrics told. */
class NoopCall implements AnswerSink {
  readonly started = performance.now();
  constructor(
    private readonly ep: EndpointRuntime,
    private readonly ctx: CallContext,
    private readonly to: EndpointReply,
  ) {}

  answer(answer: UpstreamAnswer): void {
    const be = this.ep.backends[0]!;
    if (be.breaker) {
      if (answer.status >= 500) be.breaker.onFailure();
      else be.breaker.onSuccess();
    }
    const outcome = answer.status >= 500 ? "status" : "ok";
    this.ctx.metrics.backend(be.label, (performance.now() - this.started) / 1000, outcome);
    let out: Answer;
    try {
      out = passThrough(this.ep, answer, this.ctx.requestId);
    } catch (err) {
      this.to.fail(err);
      return;
    }
    this.to.answer(out);
  }

  fail(err: unknown): void {
    const be = this.ep.backends[0]!;
    be.breaker?.onFailure();
    const failure = failureOf(err);
    this.ctx.metrics.backend(be.label, (performance.now() - this.started) / 1000, failure.kind);
    this.to.answer(failureResponse(this.ep, failure, this.ctx.requestId));
  }
}

/** A pass-through call: status, headers and body of the one backend reach the client. */
export function runNoop(ep: EndpointRuntime, ctx: CallContext, to: EndpointReply): void {
  const be = ep.backends[0]!;
  if (be.breaker && !be.breaker.allow()) {
    to.answer(problem("internal", "backend unavailable", ctx.requestId));
    return;
  }
  const sink = new NoopCall(ep, ctx, to);
  // no-op bodies stream unchecked unless a limit is configured
  const maxBytes = be.maxBytes ?? Number.POSITIVE_INFINITY;
  sendTo(be, ctx, NONE, sink.started + ep.timeoutMs, maxBytes, be.maxBytes === null, sink);
}

/** Backends in parallel, each bounded by 85% of the endpoint timeout; whatever arrived is merged. */
export function runMerge(ep: EndpointRuntime, ctx: CallContext, to: EndpointReply): void {
  const backends = ep.backends;
  const started = performance.now();
  const deadline = started + (backends.length > 1 ? ep.mergeTimeoutMs : ep.timeoutMs);
  const outcomes: Outcome[] = new Array(backends.length);
  let left = backends.length;
  // every call is sent before any answer can arrive (only failures come at once), so they run side by side
  for (let i = 0; i < backends.length; i++) {
    const be = backends[i]!;
    callBackend(be, ctx, NONE, started, deadline, (outcome) => {
      let out: Answer;
      try {
        outcomes[i] = shaped(be, outcome);
        if (--left > 0) return;
        out = finish(ep, outcomes, ctx.requestId);
      } catch (err) {
        to.fail(err);
        return;
      }
      to.answer(out);
    });
  }
}

/** Backends one after another; `{respN_field}` reads earlier answers; the first failure stops the chain. */
export function runSequential(ep: EndpointRuntime, ctx: CallContext, to: EndpointReply): void {
  sequence(ep, ctx).then(
    (answer) => to.answer(answer),
    (err) => to.fail(err),
  );
}

async function sequence(ep: EndpointRuntime, ctx: CallContext): Promise<Answer> {
  const deadline = performance.now() + ep.mergeTimeoutMs;
  const responses: (Data | undefined)[] = [];
  const outcomes: Outcome[] = [];
  for (const be of ep.backends) {
    const started = performance.now();
    const outcome = shaped(
      be,
      await new Promise<Outcome>((done) => callBackend(be, ctx, responses, started, deadline, done)),
    );
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

function failureResponse(ep: EndpointRuntime, failure: BackendFailure, requestId: string): Answer {
  if (failure.kind === "timeout") {
    return problem(ep.timeoutStatus === 504 ? "timeout" : "internal", "backend timed out", requestId, {
      [COMPLETED]: "false",
    });
  }
  return problem("internal", "backend failed", requestId, { [COMPLETED]: "false" });
}

function finish(ep: EndpointRuntime, outcomes: Outcome[], requestId: string): Answer {
  let merged: Data = {};
  let okCount = 0;
  let firstFailure: { be: BackendRuntime; failure: BackendFailure } | null = null;
  let details: Data | null = null;
  for (let i = 0; i < outcomes.length; i++) {
    const o = outcomes[i]!;
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
  const complete = okCount === outcomes.length;
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
