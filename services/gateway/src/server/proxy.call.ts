// One routed request, from its trace context to the access-log line: the scope the pipeline reads, the
// steps that may wait (an uncached token, a request body), and how it ends (CORS, metrics, access log).
import type { AccessEntry } from "@shared/log";
import { type LogIds, sampledFlags, sampledRoot } from "@shared/telemetry";
import { childOf, formatTraceparent, type IdSource, parseTraceparent, type TraceParent } from "@shared/trace";
import type { GatewayRuntime } from "../proxy/endpoint.build.ts";
import type { AuthVerdict, EndpointRuntime, PipelineMetrics } from "../proxy/endpoint.types.ts";
import { backendHeaders, filterQuery, type HeaderLines } from "../proxy/forward.ts";
import {
  type CacheFront,
  type PriorLookup,
  type RequestScope,
  runMerge,
  runPassThrough,
  runSequential,
} from "../proxy/pipeline.ts";
import { problem } from "../proxy/problem.ts";
import type { Upstream } from "../proxy/upstream.ts";
import { type GatewayTracing, RequestTrace } from "../telemetry/request.trace.ts";
import { setHeader } from "../transport/answer.ts";
import { Deferred, type Sink } from "../transport/deferred.ts";
import type { Answer, ClientRequest } from "../transport/transport.ts";
import { requestBody } from "./request.body.ts";
import { requestIdFrom } from "./request.id.ts";

/** The part of a pino logger the server uses. */
export interface ServerLogger {
  info(obj: object, msg?: string): void;
  error(obj: object, msg?: string): void;
}

/** What the gateway reports per request. */
export interface RequestMetrics extends PipelineMetrics {
  request(route: string, method: string, status: number, seconds: number): void;
}

/** What every call of one gateway shares. */
export interface CallDeps {
  logger: ServerLogger;
  metrics: RequestMetrics;
  /** Writes access-log entries; null when the access log is off. */
  accessLog: ((entry: AccessEntry) => void) | null;
  upstream: Upstream;
  cache: CacheFront;
  /** Trace and span ids: one pooled source per gateway. */
  ids: IdSource;
  /** Spans of sampled requests; null when tracing is off. */
  tracing: GatewayTracing | null;
}

const NO_PARAMS: string[] = [];

/**
 * One routed request. The handler fills in its route as it goes; `end` closes it at once (a 404, a rate
 * limit, a cached answer), `start` runs authentication, the body and the pipeline, and settles the call
 * with `close` (rate-limit headers, CORS, metrics, access log) or `fail` (a logged, masked 500). It is a
 * `Deferred` rather than a promise, so the answer goes from the backend's socket callback to the client's
 * connection in one call; and it is the pipeline's `RequestScope` and `Sink` too, so a request costs one
 * object however far it goes.
 */
export class ProxyCall extends Deferred<Answer> implements RequestScope, Sink<Answer> {
  readonly method: string;
  readonly started = performance.now();
  readonly requestId: string;
  readonly traceId: string;
  /** The client's valid trace context, continued with a span of ours only when a backend is called. */
  private incoming: TraceParent | null = null;
  /** What backends get in `traceparent`, made on first use when tracing is off (a cache hit needs none). */
  private sentTrace: string | null = null;
  /** The client's `tracestate`, forwarded with the trace it belongs to. */
  readonly tracestate: string | null;
  /** Our span's id, logged when tracing is on (recorded or not, it is the one in `traceparent`). */
  readonly spanId: string | undefined;
  /** The recorded spans of this request; null when tracing is off or the request is not sampled. */
  readonly trace: RequestTrace | null;
  readonly metrics: RequestMetrics;
  readonly upstream: Upstream;
  readonly cache: CacheFront;
  ep: EndpointRuntime | null = null;
  params: string[] = NO_PARAMS;
  rest: string | null = null;
  /** Rate-limit headers every answer of this request carries. */
  limitHeaders: Record<string, string> | null = null;
  cached: PriorLookup | null = null;
  query = "";
  headers!: HeaderLines;
  body: Uint8Array | null = null;
  claims: Record<string, unknown> | null = null;

  constructor(
    private readonly deps: CallDeps,
    readonly req: ClientRequest,
    readonly rt: GatewayRuntime,
  ) {
    super();
    this.method = req.method;
    const headers = req.headers;
    this.requestId = requestIdFrom(headers.get("x-request-id"));
    const tracing = deps.tracing;
    const parent = tracing === null || tracing.continueTrace ? parseTraceparent(headers.get("traceparent")) : null;
    this.tracestate = parent === null ? null : headers.get("tracestate");
    if (tracing === null) {
      this.trace = null;
      this.spanId = undefined;
      this.incoming = parent;
      this.traceId = parent === null ? deps.ids.traceId() : parent.traceId;
    } else {
      const own = childOf(parent, deps.ids);
      if (
        parent === null || !tracing.parentBased ? sampledRoot(own.traceId, tracing.ratio) : sampledFlags(parent.flags)
      ) {
        this.trace = new RequestTrace(tracing, req.method, req.path, parent === null ? null : headers);
        own.traceId = this.trace.traceId;
        own.spanId = this.trace.spanId;
        own.flags = "01";
      } else {
        // not recorded: no span object; the flags tell the services not to record it either
        this.trace = null;
        if (parent === null) own.flags = "00";
      }
      this.spanId = own.spanId;
      this.traceId = own.traceId;
      this.sentTrace = formatTraceparent(own);
    }
    this.metrics = deps.metrics;
    this.upstream = deps.upstream;
    this.cache = deps.cache;
  }

  /** The ids every log line of this request carries: its span's, as in its access line and `traceparent`. */
  get logIds(): LogIds | undefined {
    return this.spanId === undefined ? undefined : { trace_id: this.traceId, span_id: this.spanId };
  }

  /** What backends get: the client's trace continued with a span of ours (a new sampled trace without one). */
  get traceparent(): string {
    this.sentTrace ??= formatTraceparent(
      this.incoming === null
        ? { traceId: this.traceId, spanId: this.deps.ids.spanId(), flags: "01" }
        : childOf(this.incoming, this.deps.ids),
    );
    return this.sentTrace;
  }

  /** The answer with CORS applied, counted and logged: how every routed request ends. */
  end(answer: Answer): Answer {
    const { req, rt, ep } = this;
    const res = rt.cors ? rt.cors.apply(req, answer) : answer;
    const ms = performance.now() - this.started;
    const route = ep ? ep.path : "unmatched";
    this.deps.metrics.request(route, req.method, res.status, ms / 1000);
    this.trace?.end(route, res.status);
    const accessLog = this.deps.accessLog;
    if (accessLog) {
      accessLog({
        requestId: this.requestId,
        traceId: this.traceId,
        spanId: this.spanId,
        method: req.method,
        path: req.path,
        route,
        status: res.status,
        durationMs: Math.round(ms * 100) / 100,
        clientIp: req.clientIp,
      });
    }
    return res;
  }

  /** An unexpected error: logged with its cause, ended as a masked 500. */
  endInError(err: unknown): Answer {
    const path = this.req.path;
    this.deps.logger.error(
      { err, requestId: this.requestId, traceId: this.traceId, ...this.logIds, path },
      "unhandled gateway error",
    );
    return this.end(problem("internal", "unexpected error", this.requestId));
  }

  /** The client's headers as the backends get them: filtered, with forwarding, trace and identity headers. */
  forwardedHeaders(claims: Record<string, unknown> | null): HeaderLines {
    const req = this.req;
    const ep = this.ep!;
    return backendHeaders(req.headers, ep.inputHeaders, this.rt.identityHeaders, {
      clientIp: req.clientIp,
      host: req.headers.get("host"),
      requestId: this.requestId,
      traceparent: this.traceparent,
      tracestate: this.tracestate,
      identity: claims && ep.claimHeaders ? ep.claimHeaders(claims) : null,
    });
  }

  /** Runs the routed request: it waits only where a step must (an uncached token, a request body). */
  start(): void {
    const auth = this.ep!.auth;
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
      this.trace?.note("gateway.jwt", verdict.status === 401 ? "rejected" : "forbidden");
      const code = verdict.status === 401 ? "unauthenticated" : "permission_denied";
      const extra: Record<string, string> = verdict.status === 401 ? { "www-authenticate": "Bearer" } : {};
      this.close(problem(code, verdict.message, this.requestId, extra));
      return;
    }
    if (verdict !== null) this.trace?.note("gateway.jwt", "valid");
    const claims = verdict === null ? null : verdict.claims;
    if (!this.req.hasBody) {
      this.run(claims, null);
      return;
    }
    requestBody(this.req, this.ep!, this.requestId).then(
      (body) => (body.ok ? this.run(claims, body.body) : this.close(body.problem)),
      (err) => this.fail(err),
    );
  }

  private run(claims: Record<string, unknown> | null, body: Uint8Array | null): void {
    const ep = this.ep!;
    try {
      this.claims = claims;
      this.body = body;
      this.query = filterQuery(this.req.query, ep.inputQuery);
      this.headers = this.forwardedHeaders(claims);
      if (ep.output === "no-op") runPassThrough(ep, this, this);
      else if (ep.sequential) runSequential(ep, this, this);
      else runMerge(ep, this, this);
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

  /** Settles the call with `answer`: the pipeline's, or the gateway's own before the pipeline runs (401,
   * 403, a body it will not take). */
  private close(answer: Answer): void {
    if (this.settled) return;
    let out: Answer;
    try {
      out = this.end(answer);
    } catch (err) {
      this.fail(err);
      return;
    }
    this.resolve(out);
  }

  /** An unexpected error (a bug) from any step: answered as a masked 500. */
  fail(err: unknown): void {
    if (this.settled) return;
    let out: Answer;
    try {
      out = this.endInError(err);
    } catch (again) {
      // the closing steps themselves fail (an access log that cannot write): the transport answers 500
      this.reject(again);
      return;
    }
    this.resolve(out);
  }
}
