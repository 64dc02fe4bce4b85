// The gateway's request handler: operational routes, then for every other request CORS preflights,
// routing, path safety, rate limits and the pass-through cache fast path, before the call runs its
// endpoint. It works on a transport-neutral request (`transport/transport.ts`). The runtime is read once
// per request, so a reload swaps it atomically while in-flight requests finish on the one they started with.

import { createIdSource } from "@shared/trace";
import { type HttpCacheFront, UpstreamView } from "../cache/cache.front.ts";
import type { OpsRoutes } from "../ops/ops.routes.ts";
import type { GatewayRuntime } from "../proxy/endpoint.build.ts";
import { problem } from "../proxy/problem.ts";
import type { Upstream } from "../proxy/upstream.ts";
import type { GatewayTracing } from "../telemetry/request.trace.ts";
import { setHeader } from "../transport/answer.ts";
import type { Answer, ClientRequest, Handler, HandlerResult } from "../transport/transport.ts";
import { unsafeRoute } from "./path.safety.ts";
import { type CallDeps, ProxyCall, type RequestMetrics, type ServerLogger } from "./proxy.call.ts";

/** Holds the runtime being served; `reload.ts` replaces `current`. */
export interface RuntimeRef {
  current: GatewayRuntime;
}

/** Collaborators of the handler, wired by `createGateway`. */
export interface HandlerDeps {
  logger: ServerLogger;
  metrics: RequestMetrics;
  /** Writes access-log entries; null when the access log is off. */
  accessLog: CallDeps["accessLog"];
  upstream: Upstream;
  cache: HttpCacheFront;
  ops: OpsRoutes;
  /** Spans of sampled requests; null or absent when tracing is off. */
  tracing?: GatewayTracing | null;
}

/** The answer to a path routed only with (or without) a trailing slash, as KrakenD's router gives it: 301 for
 * a GET, 307 for any other method (so the client repeats it with its body), the query kept. */
function trailingSlashRedirect(req: ClientRequest, path: string, requestId: string): Answer {
  const location = req.query === "" ? path : `${path}?${req.query}`;
  return {
    status: req.method === "GET" ? 301 : 307,
    headers: ["location", location, "x-request-id", requestId],
    body: null,
  };
}

/** Creates the handler the transport calls for every request. */
export function createGatewayHandler(ref: RuntimeRef, deps: HandlerDeps): Handler {
  const { ops, cache } = deps;
  const calls: CallDeps = {
    logger: deps.logger,
    metrics: deps.metrics,
    accessLog: deps.accessLog,
    upstream: deps.upstream,
    cache,
    ids: createIdSource(),
    tracing: deps.tracing ?? null,
  };

  return function handle(req: ClientRequest): HandlerResult {
    const path = req.path;
    const rt = ref.current;
    const operational = ops(path, rt);
    if (operational !== null) return operational;

    const call = new ProxyCall(calls, req, rt);
    try {
      const method = req.method;
      if (rt.cors && method === "OPTIONS") {
        const pre = rt.cors.preflight(req);
        if (pre) return call.end(pre);
      }
      const found = rt.table.lookup(method, path);
      if (found.kind !== "match") {
        if (found.kind === "redirect") return call.end(trailingSlashRedirect(req, found.path, call.requestId));
        return call.end(
          found.kind === "none"
            ? problem("not_found", "no route for this path", call.requestId)
            : problem("method_not_allowed", "method not allowed here", call.requestId, {
                allow: found.allow.join(", "),
              }),
        );
      }
      const { params, rest } = found.match;
      const ep = found.match.value;
      call.ep = ep;
      call.params = params;
      call.rest = rest;
      if (unsafeRoute(params, rest)) return call.end(problem("invalid_argument", "invalid path", call.requestId));

      if (ep.rateLimit) {
        const verdict = ep.rateLimit.check(req, req.clientIp);
        if (!verdict.ok) {
          call.trace?.note("gateway.rate_limited", true);
          const code = verdict.status === 429 ? "too_many_requests" : "unavailable";
          return call.end(problem(code, "rate limit exceeded", call.requestId, verdict.headers));
        }
        call.limitHeaders = verdict.headers;
      }

      if (ep.output === "no-op" && method === "GET" && ep.auth === null && ep.backends[0]!.cache !== null) {
        // Vary is matched against the headers the backend would get, built only if an entry varies
        const hit = cache.passThroughHit(ep, new UpstreamView(call), call);
        call.trace?.note("gateway.cache.hit", hit !== null && "status" in hit);
        if (hit !== null && "status" in hit) {
          const limits = call.limitHeaders;
          if (limits) for (const k in limits) setHeader(hit, k, limits[k]!);
          return call.end(hit);
        }
        call.cached = hit;
      }
      call.start();
      return call;
    } catch (err) {
      return call.endInError(err);
    }
  };
}
