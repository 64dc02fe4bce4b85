// The gateway's request handler: operational routes, CORS, routing, rate limits, body limits,
// authentication, then the endpoint pipeline. It works on a transport-neutral request and answers an
// `Answer` (or a Web Response for the operational routes); `http1.server.ts` serves it. The runtime is
// read once per request, so a reload swaps it atomically while in-flight requests finish on the one they
// started with.

import type { AccessEntry } from "@shared/log";
import type { Answer } from "../proxy/answer.ts";
import { setHeader } from "../proxy/answer.ts";
import type { GatewayRuntime } from "../proxy/endpoint.build.ts";
import type { AuthVerdict, EndpointRuntime, PipelineMetrics } from "../proxy/endpoint.types.ts";
import { backendHeaders, filterQuery, type HeaderLines } from "../proxy/forward.ts";
import {
  type CallContext,
  type EndpointReply,
  noopCacheHit,
  runMerge,
  runNoop,
  runSequential,
  upstreamView,
} from "../proxy/pipeline.ts";
import { problem } from "../proxy/problem.ts";
import type { Upstream } from "../proxy/upstream.ts";
import { type Later, Pending } from "./pending.ts";
import { requestIdFrom, type TraceContext, traceFrom } from "./trace.ts";

/** A client request as the handler reads it; the transport provides it. */
export interface ClientRequest {
  method: string;
  /** Path as sent (percent-encoded), without the query. */
  path: string;
  /** Raw query without `?`, "" when none. */
  query: string;
  /** Lower-case names; `pairs` holds every header as received. */
  headers: { get(name: string): string | null; has(name: string): boolean; readonly pairs: readonly string[] };
  clientIp: string;
  hasBody: boolean;
  /** Declared length, -1 when chunked, 0 without a body. */
  contentLength: number;
  /** The whole body, or null when it is larger than `limit`. Rejects when the body is malformed or cut short,
   * with the 4xx status the transport answered in `status` (400 when it has none). */
  readBody(limit: number): Promise<Uint8Array | null>;
}

/** Holds the runtime being served; `reload.ts` replaces `current`. */
export interface RuntimeRef {
  current: GatewayRuntime;
}

/** The part of a pino logger the server uses. */
export interface ServerLogger {
  info(obj: object, msg?: string): void;
  error(obj: object, msg?: string): void;
}

/** What the handler reports per request. */
export interface RequestMetrics extends PipelineMetrics {
  request(route: string, method: string, status: number, seconds: number): void;
}

/** Collaborators of the handler, wired in `main.ts`. */
export interface ServerDeps {
  logger: ServerLogger;
  metrics: RequestMetrics;
  accessLog: boolean;
  /** Writes access-log entries (main.ts: `createAccessLog`); default: `logger.info(entry, "request")`. */
  accessWriter?: (entry: AccessEntry) => void;
  /** `/metrics` scrape. */
  /** Null when `/metrics` has a listener of its own (`telemetry/metrics.listen_address`): the public port
   * then answers it 404 like any path without a route. */
  metricsHandler: (() => Promise<Response>) | null;
  /** `/docs`, `/docs/*`: Swagger UI and the OpenAPI document. */
  docs: (path: string, rt: GatewayRuntime) => Response | Promise<Response>;
  health: () => Response;
  upstream: Upstream;
}

/** Encoded slashes and dot segments would let a client walk out of the backend path it was routed to. */
function unsafeSegment(seg: string): boolean {
  if (seg.includes("%")) {
    if (/%(2f|5c|00)/i.test(seg)) return true;
    try {
      const d = decodeURIComponent(seg);
      return d === "." || d === "..";
    } catch {
      return true;
    }
  }
  return seg === "." || seg === "..";
}

function unsafeRoute(params: string[], rest: string | null): boolean {
  for (const p of params) if (unsafeSegment(p)) return true;
  if (rest !== null) for (const seg of rest.split("/")) if (unsafeSegment(seg)) return true;
  return false;
}

type BodyResult = { ok: true; body: Uint8Array | null } | { ok: false; problem: Answer };

/** The client's body, or the answer to give when it is too large, malformed or cut short (the client's fault:
 * a 4xx, not a gateway error). */
async function requestBody(req: ClientRequest, ep: EndpointRuntime, requestId: string): Promise<BodyResult> {
  const tooLarge = () => problem("payload_too_large", "request body too large", requestId);
  if (req.contentLength > ep.maxPayload) return { ok: false, problem: tooLarge() };
  let bytes: Uint8Array | null;
  try {
    bytes = await req.readBody(ep.maxPayload);
  } catch (err) {
    const status = (err as { status?: unknown }).status;
    const detail = err instanceof Error ? err.message : "malformed request body";
    const res = problem("invalid_argument", detail, requestId);
    // a transport that answered already (400, or 408 for a stalled body) says so: that is what gets recorded
    if (typeof status === "number" && status >= 400 && status < 500) res.status = status;
    return { ok: false, problem: res };
  }
  if (bytes === null) return { ok: false, problem: tooLarge() };
  return { ok: true, body: bytes.byteLength > 0 ? bytes : null };
}

/** Creates the handler the HTTP server calls for every request. */
export function createGatewayHandler(ref: RuntimeRef, deps: ServerDeps) {
  const { logger, metrics, upstream } = deps;
  const accessLog = deps.accessLog
    ? (deps.accessWriter ?? ((entry: AccessEntry) => logger.info(entry, "request")))
    : null;

  /** CORS, metrics and the access log, for every routed answer. */
  function done(
    req: ClientRequest,
    rt: GatewayRuntime,
    ep: EndpointRuntime | null,
    path: string,
    answer: Answer,
    started: number,
    requestId: string,
    traceId: string,
    clientIp: string,
  ): Answer {
    const res = rt.cors ? rt.cors.apply(req, answer) : answer;
    const ms = performance.now() - started;
    const route = ep ? ep.path : "unmatched";
    metrics.request(route, req.method, res.status, ms / 1000);
    if (accessLog) {
      accessLog({
        requestId,
        traceId,
        method: req.method,
        path,
        route,
        status: res.status,
        durationMs: Math.round(ms * 100) / 100,
        clientIp,
      });
    }
    return res;
  }

  /** An unexpected error: logged with its cause, answered as a masked 500. */
  function failed(
    err: unknown,
    req: ClientRequest,
    rt: GatewayRuntime,
    ep: EndpointRuntime | null,
    started: number,
    requestId: string,
    trace: TraceContext,
  ): Answer {
    const path = req.path;
    logger.error({ err, requestId, traceId: trace.traceId, path }, "unhandled gateway error");
    const res = problem("internal", "unexpected error", requestId);
    return done(req, rt, ep, path, res, started, requestId, trace.traceId, req.clientIp);
  }

  /**
   * One proxied request from authentication to its answer: it waits only where a step must (an uncached
   * token, a request body), hands itself to the pipeline as the place its answer goes, and closes with
   * `done` (rate-limit headers, CORS, metrics, access log) or `failed` (a logged, masked 500). It is a
   * `Pending` rather than a promise, so the answer goes from the backend's socket callback to the client's
   * connection in one call.
   */
  class ProxyCall extends Pending<Answer> implements EndpointReply {
    constructor(
      readonly req: ClientRequest,
      readonly rt: GatewayRuntime,
      readonly ep: EndpointRuntime,
      readonly params: string[],
      readonly rest: string | null,
      readonly started: number,
      readonly requestId: string,
      readonly trace: TraceContext,
      readonly limitHeaders: Record<string, string> | null,
      readonly cached: CallContext["cached"],
    ) {
      super();
    }

    start(): void {
      const auth = this.ep.auth;
      let verdict: AuthVerdict | Promise<AuthVerdict> | null;
      try {
        verdict = auth === null ? null : auth.validate(this.req);
      } catch (err) {
        this.fail(err);
        return;
      }
      if (verdict instanceof Promise) {
        verdict.then(
          (v) => this.authorized(v),
          (err) => this.fail(err),
        );
      } else this.authorized(verdict);
    }

    private authorized(verdict: AuthVerdict | null): void {
      if (verdict !== null && !verdict.ok) {
        const code = verdict.status === 401 ? "unauthenticated" : "permission_denied";
        const extra: Record<string, string> = verdict.status === 401 ? { "www-authenticate": "Bearer" } : {};
        this.close(problem(code, verdict.message, this.requestId, extra));
        return;
      }
      const claims = verdict === null ? null : verdict.claims;
      if (!this.req.hasBody) {
        this.run(claims, null);
        return;
      }
      requestBody(this.req, this.ep, this.requestId).then(
        (body) => (body.ok ? this.run(claims, body.body) : this.close(body.problem)),
        (err) => this.fail(err),
      );
    }

    private run(claims: Record<string, unknown> | null, body: Uint8Array | null): void {
      const { req, rt, ep, requestId } = this;
      try {
        const ctx = callContext(
          req,
          rt,
          ep,
          this.params,
          this.rest,
          requestId,
          this.trace.traceparent,
          claims,
          body,
          this.cached,
        );
        if (ep.output === "no-op") runNoop(ep, ctx, this);
        else if (ep.sequential) runSequential(ep, ctx, this);
        else runMerge(ep, ctx, this);
      } catch (err) {
        this.fail(err);
      }
    }

    /** The pipeline's answer. */
    answer(answer: Answer): void {
      if (this.settled) return;
      const limits = this.limitHeaders;
      if (limits) for (const k in limits) setHeader(answer, k, limits[k]!);
      this.close(answer);
    }

    /** Closes the request with `answer`: the pipeline's, or the gateway's own before the pipeline runs (401,
     * 403, a body it will not take). */
    private close(answer: Answer): void {
      if (this.settled) return;
      let out: Answer;
      try {
        const { req, trace } = this;
        out = done(req, this.rt, this.ep, req.path, answer, this.started, this.requestId, trace.traceId, req.clientIp);
      } catch (err) {
        this.fail(err);
        return;
      }
      this.resolve(out);
    }

    fail(err: unknown): void {
      if (this.settled) return;
      let out: Answer;
      try {
        out = failed(err, this.req, this.rt, this.ep, this.started, this.requestId, this.trace);
      } catch (again) {
        // the closing steps themselves fail (an access log that cannot write): the transport answers 500
        this.reject(again);
        return;
      }
      this.resolve(out);
    }
  }

  /** The client's headers as the backends get them: filtered, with forwarding, trace and identity headers. */
  function forwarded(
    req: ClientRequest,
    rt: GatewayRuntime,
    ep: EndpointRuntime,
    requestId: string,
    traceparent: string,
    claims: Record<string, unknown> | null,
  ): HeaderLines {
    return backendHeaders(req.headers, ep.inputHeaders, rt.identityHeaders, {
      clientIp: req.clientIp,
      host: req.headers.get("host"),
      requestId,
      traceparent,
      identity: claims && ep.claimHeaders ? ep.claimHeaders(claims) : null,
    });
  }

  /** What the backend calls of one request need, with the client's headers and query already filtered. */
  function callContext(
    req: ClientRequest,
    rt: GatewayRuntime,
    ep: EndpointRuntime,
    params: string[],
    rest: string | null,
    requestId: string,
    traceparent: string,
    claims: Record<string, unknown> | null,
    body: Uint8Array | null,
    cached: CallContext["cached"],
  ): CallContext {
    return {
      req,
      method: req.method,
      params,
      rest,
      query: filterQuery(req.query, ep.inputQuery),
      headers: forwarded(req, rt, ep, requestId, traceparent, claims),
      body,
      claims,
      requestId,
      metrics,
      upstream,
      cached,
    };
  }

  return function handle(req: ClientRequest): Answer | Response | Later<Answer | Response> {
    const path = req.path;
    if (path === "/__health") return deps.health();
    if (path === "/metrics" && deps.metricsHandler) return deps.metricsHandler();
    const rt = ref.current;
    if (path === "/docs" || path.startsWith("/docs/")) return deps.docs(path, rt);

    const started = performance.now();
    const headers = req.headers;
    const requestId = requestIdFrom(headers.get("x-request-id"));
    const trace = traceFrom(headers.get("traceparent"));
    let ep: EndpointRuntime | null = null;
    try {
      const method = req.method;
      if (rt.cors && method === "OPTIONS") {
        const pre = rt.cors.preflight(req);
        if (pre) return done(req, rt, ep, path, pre, started, requestId, trace.traceId, req.clientIp);
      }
      const found = rt.table.lookup(method, path);
      if (found.kind !== "match") {
        const res =
          found.kind === "none"
            ? problem("not_found", "no route for this path", requestId)
            : problem("method_not_allowed", "method not allowed here", requestId, { allow: found.allow.join(", ") });
        return done(req, rt, ep, path, res, started, requestId, trace.traceId, req.clientIp);
      }
      const { params, rest } = found.match;
      ep = found.match.value;
      if (unsafeRoute(params, rest)) {
        const res = problem("invalid_argument", "invalid path", requestId);
        return done(req, rt, ep, path, res, started, requestId, trace.traceId, req.clientIp);
      }

      let limitHeaders: Record<string, string> | null = null;
      if (ep.rateLimit) {
        const verdict = ep.rateLimit.check(req, req.clientIp);
        if (!verdict.ok) {
          const code = verdict.status === 429 ? "too_many_requests" : "unavailable";
          const res = problem(code, "rate limit exceeded", requestId, verdict.headers);
          return done(req, rt, ep, path, res, started, requestId, trace.traceId, req.clientIp);
        }
        limitHeaders = verdict.headers;
      }

      let cached: CallContext["cached"] = null;
      if (ep.output === "no-op" && method === "GET" && ep.auth === null && ep.backends[0]!.cache !== null) {
        // Vary is matched against the headers the backend would get, built only if an entry varies
        const endpoint = ep;
        const sent = upstreamView(() => forwarded(req, rt, endpoint, requestId, trace.traceparent, null));
        const hit = noopCacheHit(ep, sent, params, rest, req.query, requestId, metrics);
        if (hit !== null && "status" in hit) {
          if (limitHeaders) for (const k in limitHeaders) setHeader(hit, k, limitHeaders[k]!);
          return done(req, rt, ep, path, hit, started, requestId, trace.traceId, req.clientIp);
        }
        cached = hit;
      }
      const call = new ProxyCall(req, rt, ep, params, rest, started, requestId, trace, limitHeaders, cached);
      call.start();
      return call;
    } catch (err) {
      return failed(err, req, rt, ep, started, requestId, trace);
    }
  };
}
