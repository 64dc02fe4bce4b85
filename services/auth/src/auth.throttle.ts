import type { AttemptRule } from "./auth.model.ts";

/**
 * Login throttling per (email, client address) with exponential backoff, and a per-account ceiling that
 * shrinks every address's allowance without ever refusing an address that has not failed yet.
 */
export interface ThrottlePolicy {
  /** Failures of one pair checked back to back before it must wait. */
  freeFailures: number;
  /** The first wait; each further failure doubles it, up to `maxDelaySec`. */
  baseDelaySec: number;
  maxDelaySec: number;
  /** A pair with no failure for this long starts counting again. */
  forgetSec: number;
  /** Failures of one account from all addresses within `accountWindowSec` that make every address wait earlier. */
  accountCeiling: number;
  accountWindowSec: number;
}

/**
 * Default throttle: 5 failures back to back per email and address, then 30 s, 60 s, ... up to 15 min
 * between attempts, forgotten after a day; 20 failures of one account in an hour from anywhere leave each
 * address one failure before it waits.
 */
export const defaultThrottle: ThrottlePolicy = {
  freeFailures: 5,
  baseDelaySec: 30,
  maxDelaySec: 900,
  forgetSec: 24 * 3600,
  accountCeiling: 20,
  accountWindowSec: 3600,
};

/** The wait after each failure of a pair: none before `freeFailures`, then doubling to the cap. */
export function delaySchedule(policy: ThrottlePolicy): number[] {
  const delays: number[] = Array(Math.max(0, policy.freeFailures - 1)).fill(0);
  for (let wait = policy.baseDelaySec; ; wait *= 2) {
    delays.push(Math.min(wait, policy.maxDelaySec));
    if (wait >= policy.maxDelaySec) return delays;
  }
}

/** The rule one attempt at `now` is counted by. */
export function attemptRule(policy: ThrottlePolicy, delaysSec: readonly number[], now: Date): AttemptRule {
  const at = now.getTime();
  return {
    now,
    delaysSec,
    forgetBefore: new Date(at - policy.forgetSec * 1000),
    ceiling: {
      failures: policy.accountCeiling,
      since: new Date(at - policy.accountWindowSec * 1000),
      extra: Math.max(0, policy.freeFailures - 1),
    },
  };
}

/** The wait (seconds) after a pair's `failures`-th failure, `extra` added when the account is over its ceiling. */
export function delayAfter(rule: AttemptRule, failures: number, extra: number): number {
  const { delaysSec } = rule;
  return delaysSec[Math.min(failures + extra, delaysSec.length) - 1] ?? 0;
}
