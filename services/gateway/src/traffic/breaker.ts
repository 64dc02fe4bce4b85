import type { LogIds } from "@shared/telemetry";
import { z } from "zod";
import { parseNamespace } from "../config/namespace.ts";

const breakerSchema = z.strictObject({
  interval: z.number().int().min(0),
  timeout: z.number().int().positive(),
  max_errors: z.number().int().min(0),
  name: z.string().optional(),
  log_status_change: z.boolean().default(false),
});

/** The parsed `qos/circuit-breaker` namespace. */
export type BreakerConfig = z.output<typeof breakerSchema>;

/** The three states of a circuit breaker. */
export type BreakerState = "closed" | "open" | "half-open";

/** Hooks for state changes (metrics, logs); the logger is used only when `log_status_change` is set. */
export interface BreakerDeps {
  now?: () => number;
  onStateChange?: (change: { name: string; from: BreakerState; to: BreakerState }) => void;
  logger?: { warn(obj: object, msg?: string): void };
}

/**
 * KrakenD's `qos/circuit-breaker` (gobreaker semantics) for one backend. Closed: failures are counted while
 * consecutive, and the count restarts every `interval` seconds (0: never); more than `max_errors`
 * consecutive failures open the circuit, exactly as KrakenD's `ConsecutiveFailures > max_errors`.
 * Open: `allow()` is false for `timeout` seconds. Half-open: one trial request is allowed; its success
 * closes the circuit, its failure opens it for another `timeout`.
 * What counts as a failure is the caller's choice; KrakenD counts any non-2xx answer or no answer.
 * @example
 * const cb = createBreaker({ interval: 60, timeout: 10, max_errors: 5 }, { onStateChange: (c) => gauge.set(...) });
 * if (!cb.allow()) return unavailable(); try { ok(await call()) ? cb.onSuccess() : cb.onFailure(); } catch { cb.onFailure(); }
 */
export function createBreaker(
  raw: unknown,
  deps: BreakerDeps = {},
): {
  allow(ids?: LogIds): boolean;
  onSuccess(ids?: LogIds): void;
  onFailure(ids?: LogIds): void;
  state(): BreakerState;
  config: BreakerConfig;
} {
  const cfg = parseNamespace("qos/circuit-breaker", breakerSchema, raw);
  const name = cfg.name ?? "circuit-breaker";
  const now = deps.now ?? (() => performance.now());
  const intervalMs = cfg.interval * 1000;
  const timeoutMs = cfg.timeout * 1000;

  let current: BreakerState = "closed";
  let consecutiveFailures = 0;
  let windowEnds = intervalMs > 0 ? now() + intervalMs : Number.POSITIVE_INFINITY;
  let openUntil = 0;
  let trialInFlight = false;
  let trialStarted = 0;

  const moveTo = (to: BreakerState, ids: LogIds | undefined) => {
    const from = current;
    if (from === to) return;
    current = to;
    consecutiveFailures = 0;
    trialInFlight = false;
    const t = now();
    if (to === "open") openUntil = t + timeoutMs;
    if (to === "closed") windowEnds = intervalMs > 0 ? t + intervalMs : Number.POSITIVE_INFINITY;
    if (cfg.log_status_change) {
      deps.logger?.warn({ breaker: name, from, to, ...ids }, "circuit breaker changed state");
    }
    deps.onStateChange?.({ name, from, to });
  };

  // state transitions driven by time happen lazily, when someone looks
  const tick = (ids: LogIds | undefined) => {
    const t = now();
    if (current === "open" && t >= openUntil) moveTo("half-open", ids);
    else if (current === "closed" && t >= windowEnds) {
      consecutiveFailures = 0;
      windowEnds = t + intervalMs;
    }
  };

  return {
    allow(ids) {
      tick(ids);
      if (current === "closed") return true;
      if (current === "open") return false;
      // a trial whose outcome never came back (e.g. an aborted request) must not wedge the breaker
      const t = now();
      if (trialInFlight && t - trialStarted < timeoutMs) return false;
      trialInFlight = true;
      trialStarted = t;
      return true;
    },
    onSuccess(ids) {
      tick(ids);
      if (current === "half-open") moveTo("closed", ids);
      else if (current === "closed") consecutiveFailures = 0;
    },
    onFailure(ids) {
      tick(ids);
      if (current === "half-open") moveTo("open", ids);
      else if (current === "closed" && ++consecutiveFailures > cfg.max_errors) moveTo("open", ids);
    },
    state() {
      tick(undefined);
      return current;
    },
    config: cfg,
  };
}
