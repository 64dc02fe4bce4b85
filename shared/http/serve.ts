import type { Hono } from "hono";

/**
 * Serves a Hono app with `Bun.serve`. Bun's own body cap sits above the app's limit so the app answers
 * 413 as problem+json itself. Stop it with the lifecycle's `drainServer`.
 */
// biome-ignore lint/suspicious/noExplicitAny: any app env
export function serveHttp(app: Hono<any>, options: { host: string; port: number; bodyLimitBytes?: number }) {
  return Bun.serve({
    hostname: options.host,
    port: options.port,
    fetch: app.fetch,
    maxRequestBodySize: (options.bodyLimitBytes ?? 1024 * 1024) * 4,
  });
}
