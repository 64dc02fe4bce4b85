// The gateway on `Bun.serve`: the fallback transport (`GATEWAY_SERVER=bun`), kept so the two servers can be
// compared side by side in bench/gateway and so the whole suite can run on either. The default transport is
// `http1.server.ts`, which spends several microseconds less per request.
import type { Server } from "bun";
import { type Answer, toResponse } from "../proxy/answer.ts";
import { problem } from "../proxy/problem.ts";
import { readLimited } from "../proxy/upstream.ts";
import type { ClientRequest } from "./gateway.server.ts";
import type { Later } from "./pending.ts";
import { requestIdFrom } from "./trace.ts";

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

/** Serves `handle` with `Bun.serve`. */
export function serveWithBun(opts: {
  port: number;
  hostname?: string;
  maxRequestBodySize: number;
  handle: (req: ClientRequest) => Answer | Response | Later<Answer | Response>;
  /** A handler that failed outright (a bug); it is answered 500. */
  onError?: (err: unknown) => void;
}): Server<unknown> {
  const asResponse = (a: Answer | Response) => (a instanceof Response ? a : toResponse(a));
  const failed = (err: unknown) => {
    opts.onError?.(err);
    return toResponse(problem("internal", "unexpected error", requestIdFrom(null)));
  };
  return Bun.serve({
    port: opts.port,
    hostname: opts.hostname,
    maxRequestBodySize: opts.maxRequestBodySize,
    idleTimeout: 30,
    fetch(req, server) {
      const address = server.requestIP(req)?.address ?? "unknown";
      const ip = address.startsWith("::ffff:") ? address.slice(7) : address;
      let out: ReturnType<typeof opts.handle>;
      try {
        out = opts.handle(clientRequestOf(req, ip));
      } catch (err) {
        return failed(err);
      }
      if (out instanceof Response || !("then" in out)) return asResponse(out);
      return new Promise<Response>((ok) =>
        out.then(
          (a) => ok(asResponse(a)),
          (err) => ok(failed(err)),
        ),
      );
    },
  });
}
