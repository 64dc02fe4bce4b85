/** Options of a consecutive-failure circuit breaker. */
export interface BreakerOptions {
  /** Consecutive failures that open the circuit. */
  failureThreshold: number;
  /** How long it stays open before one trial call is let through. */
  openMs: number;
  now?: () => number;
}

/** A circuit breaker: closed, open after N consecutive failures, half-open after a pause. */
export interface Breaker {
  allow(): boolean;
  success(): void;
  failure(): void;
  state(): "closed" | "open" | "half-open";
}

/** Creates a consecutive-failure breaker; a half-open trial that fails reopens it. */
export function createBreaker(options: BreakerOptions): Breaker {
  const now = options.now ?? Date.now;
  let failures = 0;
  let openedAt: number | null = null;
  let trialInFlight = false;
  const state = (): "closed" | "open" | "half-open" => {
    if (openedAt === null) return "closed";
    return now() - openedAt >= options.openMs ? "half-open" : "open";
  };
  return {
    state,
    allow() {
      const s = state();
      if (s === "closed") return true;
      if (s === "open" || trialInFlight) return false;
      trialInFlight = true;
      return true;
    },
    success() {
      failures = 0;
      openedAt = null;
      trialInFlight = false;
    },
    failure() {
      trialInFlight = false;
      failures++;
      if (openedAt !== null || failures >= options.failureThreshold) openedAt = now();
    },
  };
}
