// Test helpers shared by the auth service's own tests: a fast fake hasher and a ready service.

import { MemoryKeyStore } from "./auth.keys.repo.memory.ts";
import { KeyRing } from "./auth.keys.ts";
import { commonPasswords } from "./auth.password-policy.ts";
import { MemoryAuthRepo } from "./auth.repo.memory.ts";
import { type AuthPolicy, type AuthRepo, AuthService, defaultPolicy, type PasswordHasher } from "./auth.service.ts";

/** A hasher that is not a hash at all, so service tests run in microseconds. */
export const plainHasher: PasswordHasher = {
  hash: async (p) => `plain:${p}`,
  verify: async (p, h) => h === `plain:${p}`,
};

/** The plain hasher, counting the passwords it checks: what throttling must bound. */
export function countingHasher(): PasswordHasher & { verified: number } {
  const counter = {
    verified: 0,
    hash: plainHasher.hash,
    async verify(password: string, hash: string) {
      counter.verified++;
      // A real hash takes a while: concurrent logins overlap here, where a read-then-write count would race.
      await Bun.sleep(5);
      return plainHasher.verify(password, hash);
    },
  };
  return counter;
}

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

/** An AuthService on in-memory fakes (or the repository given), with the key ring it signs with. */
export async function makeAuth<R extends AuthRepo = MemoryAuthRepo>(
  options: { policy?: Partial<AuthPolicy>; now?: () => Date; passwords?: PasswordHasher; repo?: R } = {},
) {
  const repo = options.repo ?? new MemoryAuthRepo(options.now);
  const store = new MemoryKeyStore();
  const keys = new KeyRing({ issuer: "shop-auth", audience: "shop", accessTtlSec: 900, store, now: options.now });
  await keys.init();
  const auth = new AuthService({
    repo,
    passwords: options.passwords ?? plainHasher,
    signer: keys,
    policy: { ...defaultPolicy, ...options.policy },
    commonPasswords: commonPasswords(),
    now: options.now,
  });
  return { auth, repo: repo as R, keys, store };
}
