// The gateway's request handler for `Bun.serve`: operational routes, CORS, routing, rate limits, body
// limits, authentication, then the endpoint pipeline. The runtime is read once per request, so a
// reload swaps it atomically while in-flight requests finish on the one they started with.
import type { Server } from "bun";
import { readLimited } from "../proxy/backend.ts";
import type { GatewayRuntime } from "../proxy/endpoint.build.ts";
import type { EndpointRuntime, PipelineMetrics } from "../proxy/endpoint.types.ts";
import { backendHeaders, filterQuery } from "../proxy/forward.ts";
import { type CallContext, runMerge, runNoop, runSequential } from "../proxy/pipeline.ts";
import { problem } from "../proxy/problem.ts";
import type { Upstream } from "../proxy/upstream.ts";
import { requestIdFrom, traceFrom } from "./trace.ts";

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
  /** `/metrics` scrape. */
  metricsHandler: () => Promise<Response>;
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

/** Splits a request URL into its raw path and raw query without building a URL object. */
export function splitUrl(url: string): { path: string; query: string } {
  const start = url.indexOf("/", url.indexOf("//") + 2);
  if (start === -1) return { path: "/", query: "" };
  const q = url.indexOf("?", start);
  return q === -1 ? { path: url.slice(start), query: "" } : { path: url.slice(start, q), query: url.slice(q + 1) };
}

async function requestBody(
  req: Request,
  ep: EndpointRuntime,
): Promise<{ ok: true; body: CallContext["body"] } | { ok: false }> {
  if (req.method === "GET" || req.method === "HEAD" || !req.body) return { ok: true, body: null };
  const declared = req.headers.get("content-length");
  if (declared !== null) {
    if (Number(declared) > ep.maxPayload) return { ok: false };
    if (ep.output === "no-op") return { ok: true, body: req.body };
  }
  const bytes = await readLimited(req as unknown as Response, ep.maxPayload);
  if (bytes === null) return { ok: false };
  return { ok: true, body: bytes.byteLength > 0 ? bytes : null };
}

/** Creates the `fetch` handler for `Bun.serve`. */
export function createGatewayHandler(ref: RuntimeRef, deps: ServerDeps) {
  const { logger, metrics } = deps;

  async function route(
    req: Request,
    rt: GatewayRuntime,
    path: string,
    rawQuery: string,
    clientIp: string,
    requestId: string,
    traceparent: string,
  ): Promise<{ res: Response; ep: EndpointRuntime | null }> {
    if (rt.cors && req.method === "OPTIONS") {
      const pre = rt.cors.preflight(req);
      if (pre) return { res: pre, ep: null };
    }
    const found = rt.table.lookup(req.method, path);
    if (found.kind === "none") return { res: problem("not_found", "no route for this path", requestId), ep: null };
    if (found.kind === "method") {
      return {
        res: problem("method_not_allowed", "method not allowed here", requestId, { allow: found.allow.join(", ") }),
        ep: null,
      };
    }
    const { value: ep, params, rest } = found.match;
    if (unsafeRoute(params, rest)) return { res: problem("invalid_argument", "invalid path", requestId), ep };

    let limitHeaders: Record<string, string> | null = null;
    if (ep.rateLimit) {
      const verdict = ep.rateLimit.check(req, clientIp);
      if (!verdict.ok) {
        const code = verdict.status === 429 ? "too_many_requests" : "unavailable";
        return { res: problem(code, "rate limit exceeded", requestId, verdict.headers), ep };
      }
      limitHeaders = verdict.headers;
    }

    let claims: Record<string, unknown> | null = null;
    if (ep.auth) {
      const verdict = await ep.auth.validate(req);
      if (!verdict.ok) {
        const code = verdict.status === 401 ? "unauthenticated" : "permission_denied";
        const extra: Record<string, string> = verdict.status === 401 ? { "www-authenticate": "Bearer" } : {};
        return { res: problem(code, verdict.message, requestId, extra), ep };
      }
      claims = verdict.claims;
    }

    const body = await requestBody(req, ep);
    if (!body.ok) return { res: problem("payload_too_large", "request body too large", requestId), ep };

    const ctx: CallContext = {
      req,
      method: req.method,
      params,
      rest,
      query: filterQuery(rawQuery, ep.inputQuery),
      headers: backendHeaders(req.headers, ep.inputHeaders, rt.identityHeaders, {
        clientIp,
        host: req.headers.get("host"),
        requestId,
        traceparent,
        identity: claims && ep.claimHeaders ? ep.claimHeaders(claims) : null,
      }),
      body: body.body,
      claims,
      requestId,
      metrics,
      upstream: deps.upstream,
    };
    const res =
      ep.output === "no-op"
        ? await runNoop(ep, ctx)
        : ep.sequential
          ? await runSequential(ep, ctx)
          : await runMerge(ep, ctx);
    if (limitHeaders) for (const [k, v] of Object.entries(limitHeaders)) res.headers.set(k, v);
    return { res, ep };
  }

  return async function handle(req: Request, server: Server<unknown>): Promise<Response> {
    const started = performance.now();
    const { path, query } = splitUrl(req.url);
    if (path === "/__health") return deps.health();
    if (path === "/metrics") return deps.metricsHandler();
    const rt = ref.current;
    if (path === "/docs" || path.startsWith("/docs/")) return deps.docs(path, rt);

    const requestId = requestIdFrom(req.headers.get("x-request-id"));
    const trace = traceFrom(req.headers.get("traceparent"));
    const address = server.requestIP(req)?.address ?? "unknown";
    const clientIp = address.startsWith("::ffff:") ? address.slice(7) : address;
    let res: Response;
    let ep: EndpointRuntime | null = null;
    try {
      ({ res, ep } = await route(req, rt, path, query, clientIp, requestId, trace.traceparent));
    } catch (err) {
      logger.error({ err, requestId, traceId: trace.traceId, path }, "unhandled gateway error");
      res = problem("internal", "unexpected error", requestId);
    }
    if (rt.cors) res = rt.cors.apply(req, res);
    const seconds = (performance.now() - started) / 1000;
    const routeId = ep ? ep.path : "unmatched";
    metrics.request(routeId, req.method, res.status, seconds);
    if (deps.accessLog) {
      logger.info(
        {
          requestId,
          traceId: trace.traceId,
          method: req.method,
          path,
          route: routeId,
          status: res.status,
          durationMs: Math.round(seconds * 1e5) / 100,
          clientIp,
        },
        "request",
      );
    }
    return res;
  };
}
