import type { Hono } from "hono";

/** A running HTTP server. */
export interface HttpServer {
  url: URL;
  port: number;
  /** Stops accepting connections and resolves when in-flight requests have finished. */
  stop(): Promise<void>;
}

/**
 * Serves a Hono app with `Bun.serve`. Stopping closes the listener first, then waits for in-flight
 * requests; idle keep-alive connections are closed so clients reconnect elsewhere.
 */
// biome-ignore lint/suspicious/noExplicitAny: any app env
export function serveHttp(app: Hono<any>, options: { host: string; port: number; maxBodyBytes?: number }): HttpServer {
  const server = Bun.serve({
    hostname: options.host,
    port: options.port,
    fetch: app.fetch,
    // Bun's own cap sits above the app's limit so the app answers 413 as problem+json itself.
    maxRequestBodySize: (options.maxBodyBytes ?? 1024 * 1024) * 4,
  });
  return {
    url: server.url,
    port: server.port ?? options.port,
    stop: () => server.stop(false),
  };
}
