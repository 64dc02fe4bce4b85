import type { PasswordHasher } from "./auth.service.ts";

/** argon2id through `Bun.password`; costs come from config (tests use the minimum). */
export function argon2idHasher(cost: { memoryCost: number; timeCost: number }): PasswordHasher {
  const algorithm = { algorithm: "argon2id" as const, memoryCost: cost.memoryCost, timeCost: cost.timeCost };
  return {
    hash: (password) => Bun.password.hash(password, algorithm),
    async verify(password, hash) {
      try {
        return await Bun.password.verify(password, hash);
      } catch {
        return false;
      }
    },
  };
}
