// Test helpers shared by the auth service's own tests: a fast fake hasher and a ready service.

import { MemoryKeyStore } from "./auth.keys.repo.memory.ts";
import { KeyRing } from "./auth.keys.ts";
import { MemoryAuthRepo } from "./auth.repo.memory.ts";
import { type AuthPolicy, AuthService, defaultPolicy, type PasswordHasher } from "./auth.service.ts";

/** A hasher that is not a hash at all, so service tests run in microseconds. */
export const plainHasher: PasswordHasher = {
  hash: async (p) => `plain:${p}`,
  verify: async (p, h) => h === `plain:${p}`,
};

/** A clock tests move by hand. */
export function manualClock(start = new Date("2026-01-01T00:00:00Z")) {
  let now = start.getTime();
  return {
    now: () => new Date(now),
    advance(ms: number) {
      now += ms;
    },
  };
}

/** An AuthService on in-memory fakes, with the key ring it signs with. */
export async function makeAuth(options: { policy?: Partial<AuthPolicy>; now?: () => Date } = {}) {
  const repo = new MemoryAuthRepo(options.now);
  const store = new MemoryKeyStore();
  const keys = new KeyRing({ issuer: "shop-auth", audience: "shop", accessTtlSec: 900, store, now: options.now });
  await keys.init();
  const auth = new AuthService({
    repo,
    passwords: plainHasher,
    signer: keys,
    policy: { ...defaultPolicy, ...options.policy },
    now: options.now,
  });
  return { auth, repo, keys, store };
}
