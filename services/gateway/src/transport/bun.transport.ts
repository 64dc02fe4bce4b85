// The gateway on `Bun.serve`: the fallback transport (`GATEWAY_SERVER=bun`), kept so the two servers can be
// compared side by side in bench/gateway and so the whole suite can run on either. The default transport is
// the HTTP/1.1 server in `http1/`, which spends several microseconds less per request.
import { readLimited } from "../proxy/upstream.ts";
import { toResponse } from "./answer.ts";
import type { Answer, ClientRequest, HandlerResult, Listening, ListenOptions, Transport } from "./transport.ts";

/** The handler's view of a Web request. */
export function clientRequestOf(req: Request, clientIp: string): ClientRequest {
  const url = req.url;
  const start = url.indexOf("/", url.indexOf("//") + 2);
  const q = start === -1 ? -1 : url.indexOf("?", start);
  const pairs: string[] = [];
  for (const [k, v] of req.headers) pairs.push(k, v);
  const declared = req.headers.get("content-length");
  const chunked = req.headers.get("transfer-encoding") !== null;
  const contentLength = declared !== null ? Number(declared) : chunked ? -1 : 0;
  let body: Promise<Uint8Array | null> | null = null;
  return {
    method: req.method,
    path: start === -1 ? "/" : q === -1 ? url.slice(start) : url.slice(start, q),
    query: q === -1 ? "" : url.slice(q + 1),
    headers: { get: (n) => req.headers.get(n), has: (n) => req.headers.has(n), pairs },
    clientIp,
    hasBody: contentLength !== 0 && req.body !== null,
    contentLength,
    readBody(limit) {
      body ??= readLimited(req as unknown as Response, limit);
      return body;
    },
  };
}

/** `idle_timeout` as Bun.serve takes it: whole seconds, 1 to 255, 0 for none. */
export function bunIdleSeconds(ms: number): number {
  return ms > 0 && Number.isFinite(ms) ? Math.min(255, Math.max(1, Math.ceil(ms / 1000))) : 0;
}

/** Serves the gateway with `Bun.serve`. */
export const bunTransport: Transport = {
  listen(opts: ListenOptions): Listening {
    const asResponse = (a: Answer | Response) => (a instanceof Response ? a : toResponse(a));
    const failed = (err: unknown) => {
      opts.onError(err);
      return toResponse(opts.problem(500, "unexpected error"));
    };
    return Bun.serve({
      port: opts.port,
      hostname: opts.hostname,
      maxRequestBodySize: opts.maxRequestBodySize,
      // Bun.serve takes whole seconds up to 255 (0: none); it has no read, header or connection limits
      idleTimeout: bunIdleSeconds(opts.limits.idleTimeoutMs),
      fetch(req, server) {
        const address = server.requestIP(req)?.address ?? "unknown";
        const ip = address.startsWith("::ffff:") ? address.slice(7) : address;
        let out: HandlerResult;
        try {
          out = opts.handler(clientRequestOf(req, ip));
        } catch (err) {
          return failed(err);
        }
        if (out instanceof Response || !("then" in out)) return asResponse(out);
        const later = out as PromiseLike<Answer | Response>;
        return new Promise<Response>((ok) =>
          later.then(
            (a) => ok(asResponse(a)),
            (err) => ok(failed(err)),
          ),
        );
      },
    });
  },
};
