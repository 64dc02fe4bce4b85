import type { Hono } from "hono";

/** A readiness check: resolves when the dependency answers, throws otherwise. */
export type ReadinessCheck = () => Promise<unknown>;

/**
 * Mounts `/healthz` (the process is alive) and `/readyz` (every check passes within `timeoutMs`).
 * `isDraining` lets the lifecycle flip readiness off while the service shuts down.
 */
export function mountHealth(
  // biome-ignore lint/suspicious/noExplicitAny: any Hono env will do
  app: Hono<any>,
  options: { checks: Record<string, ReadinessCheck>; timeoutMs?: number; isDraining?: () => boolean },
): void {
  const timeoutMs = options.timeoutMs ?? 2000;
  app.get("/healthz", (c) => c.json({ status: "ok" }));
  app.get("/readyz", async (c) => {
    if (options.isDraining?.()) return c.json({ status: "draining", checks: {} }, 503);
    const entries = Object.entries(options.checks);
    const results = await Promise.all(
      entries.map(async ([name, check]) => {
        try {
          await withTimeout(check(), timeoutMs);
          return [name, "ok"] as const;
        } catch (err) {
          return [name, err instanceof Error ? err.message : "failed"] as const;
        }
      }),
    );
    const ok = results.every(([, r]) => r === "ok");
    return c.json({ status: ok ? "ok" : "unavailable", checks: Object.fromEntries(results) }, ok ? 200 : 503);
  });
}

function withTimeout<T>(p: Promise<T>, ms: number): Promise<T> {
  let timer: Timer | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`timed out after ${ms} ms`)), ms);
  });
  return Promise.race([p, timeout]).finally(() => clearTimeout(timer));
}
