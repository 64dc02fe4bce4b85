import { MemoryIdempotencyStore } from "./memory.ts";
import { idempotencyStoreContract } from "./store.contract.ts";

idempotencyStoreContract("the in-memory idempotency store", async () => {
  let now = Date.now();
  const store = new MemoryIdempotencyStore({ ttlMs: 60_000, now: () => now });
  return {
    store,
    expireAll: async () => {
      now += 60_001;
    },
    count: async () => store.size,
  };
});
