// The behaviour every IdempotencyStore has, run against the in-memory store and the PostgreSQL one.
import { describe, expect, test } from "bun:test";
import { errorCodeOf } from "../testing/errors.ts";
import type { IdempotencyClaim, IdempotencyStore, StoredAnswer } from "./store.ts";

/** A store under test and a way to make every key it holds expire. */
export interface StoreUnderTest {
  store: IdempotencyStore;
  /** Moves every kept key past its expiry. */
  expireAll(): Promise<void>;
  /** How many keys are kept. */
  count(): Promise<number>;
}

const created: StoredAnswer = { status: 201, body: '{"id":"o1"}', headers: { location: "/orders/o1" } };
const claim = (over: Partial<IdempotencyClaim> = {}): IdempotencyClaim => ({
  scope: "0190d9a4-6b1e-7c3a-9f51-0000000000a1",
  key: `k-${Math.random().toString(36).slice(2)}`,
  fingerprint: "f1",
  ...over,
});

/** Registers the contract suite for one store implementation; `make` gives a fresh, empty store. */
export function idempotencyStoreContract(name: string, make: () => Promise<StoreUnderTest>): void {
  describe(name, () => {
    test("runs a first request once and replays its answer to a retry with the same key and input", async () => {
      const { store } = await make();
      let runs = 0;
      const execute = async () => {
        runs++;
        return created;
      };
      const c = claim();
      expect(await store.run(c, execute)).toEqual({ answer: created, replayed: false });
      expect(await store.run(c, execute)).toEqual({ answer: created, replayed: true });
      expect(runs).toBe(1);
    });

    test("refuses the same key with another input (422) without running it", async () => {
      const { store } = await make();
      const c = claim();
      await store.run(c, async () => created);
      let ran = false;
      const other = store.run({ ...c, fingerprint: "f2" }, async () => {
        ran = true;
        return created;
      });
      expect(await errorCodeOf(other)).toBe("unprocessable_content");
      expect(ran).toBe(false);
    });

    test("refuses a retry while the first request still runs (409), then replays once it has answered", async () => {
      const { store } = await make();
      const c = claim();
      let release = () => {};
      const first = store.run(c, () => new Promise<StoredAnswer>((resolve) => (release = () => resolve(created))));
      await Bun.sleep(50);
      expect(await errorCodeOf(store.run(c, async () => created))).toBe("conflict");
      release();
      expect((await first).replayed).toBe(false);
      expect(await store.run(c, async () => created)).toEqual({ answer: created, replayed: true });
    });

    test("keeps nothing when the request fails, so the same key runs it again", async () => {
      const { store, count } = await make();
      const c = claim();
      const failed = store.run(c, async () => {
        throw new Error("catalog is down");
      });
      expect(failed).rejects.toThrow("catalog is down");
      await failed.catch(() => {});
      expect(await count()).toBe(0);
      expect(await store.run(c, async () => created)).toEqual({ answer: created, replayed: false });
    });

    test("scopes keys per caller: another caller's same key is a request of its own", async () => {
      const { store } = await make();
      const c = claim();
      await store.run(c, async () => created);
      const theirs: StoredAnswer = { ...created, body: '{"id":"o2"}' };
      const other = await store.run(
        { ...c, scope: "0190d9a4-6b1e-7c3a-9f51-0000000000b2", fingerprint: "f2" },
        async () => theirs,
      );
      expect(other).toEqual({ answer: theirs, replayed: false });
    });

    test("purges expired keys, after which the key runs a request afresh", async () => {
      const { store, expireAll, count } = await make();
      const c = claim();
      await store.run(c, async () => created);
      await store.run(claim(), async () => created);
      expect(await store.purge()).toBe(0);
      await expireAll();
      expect(await store.purge()).toBe(2);
      expect(await count()).toBe(0);
      expect((await store.run({ ...c, fingerprint: "f2" }, async () => created)).replayed).toBe(false);
    });

    test("treats an expired key the purge has not reached yet as unused", async () => {
      const { store, expireAll } = await make();
      const c = claim();
      await store.run(c, async () => created);
      await expireAll();
      expect((await store.run({ ...c, fingerprint: "f2" }, async () => created)).replayed).toBe(false);
    });
  });
}
