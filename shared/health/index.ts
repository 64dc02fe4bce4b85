import type { Hono } from "hono";
import { withTimeout } from "../lifecycle/timeout.ts";

/** A readiness check: resolves when the dependency answers, throws otherwise. */
export type ReadinessCheck = () => Promise<unknown>;

/**
 * Mounts `/healthz` (the process is alive) and `/readyz` (every check passes within `timeoutMs`).
 * `isDraining` lets the lifecycle flip readiness off while the service shuts down.
 */
export function mountHealth(
  // biome-ignore lint/suspicious/noExplicitAny: any Hono env will do
  app: Hono<any>,
  options: ReadinessOptions,
): void {
  app.get("/healthz", (c) => c.json({ status: "ok" }));
  app.get("/readyz", async (c) => {
    const readiness = await checkReadiness(options);
    return c.json(readiness, readiness.status === "ok" ? 200 : 503);
  });
}

/** Where a service stands: `ok`, `draining` (shutting down) or `unavailable`, with each check's outcome. */
export interface Readiness {
  status: "ok" | "draining" | "unavailable";
  checks: Record<string, string>;
}

/** The readiness checks and drain flag every transport's health answer is made from. */
export interface ReadinessOptions {
  checks: Record<string, ReadinessCheck>;
  timeoutMs?: number;
  isDraining?: () => boolean;
}

/** Runs every check within `timeoutMs` (default 2 s): the one readiness `/readyz` and gRPC health answer. */
export async function checkReadiness(options: ReadinessOptions): Promise<Readiness> {
  if (options.isDraining?.()) return { status: "draining", checks: {} };
  const timeoutMs = options.timeoutMs ?? 2000;
  const results = await Promise.all(
    Object.entries(options.checks).map(async ([name, check]) => {
      try {
        await withTimeout(check(), timeoutMs, () => {
          throw new Error(`timed out after ${timeoutMs} ms`);
        });
        return [name, "ok"] as const;
      } catch (err) {
        return [name, err instanceof Error ? err.message : "failed"] as const;
      }
    }),
  );
  const ok = results.every(([, r]) => r === "ok");
  return { status: ok ? "ok" : "unavailable", checks: Object.fromEntries(results) };
}
