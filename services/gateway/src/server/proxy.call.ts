// One routed request, from its trace context to the access-log line: the scope the pipeline reads, the
// steps that may wait (an uncached token, a request body), and how it ends (CORS, metrics, access log).
import type { AccessEntry } from "@shared/log";
import {
  childOf,
  formatTraceparent,
  type IdSource,
  parseTraceparent,
  spanInTrace,
  type TraceParent,
} from "@shared/trace";
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
  private readonly incoming: TraceParent | null;
  private sentTrace: string | null = null;
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
    const incoming = parseTraceparent(headers.get("traceparent"));
    this.incoming = incoming;
    this.traceId = incoming === null ? deps.ids.traceId() : incoming.traceId;
    this.metrics = deps.metrics;
    this.upstream = deps.upstream;
    this.cache = deps.cache;
  }

  /** What backends get in `traceparent`. */
  get traceparent(): string {
    // the span is ours, in the client's trace (its flags kept) or in the one this request started
    this.sentTrace ??= formatTraceparent(
      this.incoming === null ? spanInTrace(this.traceId, this.deps.ids)! : childOf(this.incoming, this.deps.ids),
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
    const accessLog = this.deps.accessLog;
    if (accessLog) {
      accessLog({
        requestId: this.requestId,
        traceId: this.traceId,
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
    this.deps.logger.error({ err, requestId: this.requestId, traceId: this.traceId, path }, "unhandled gateway error");
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
