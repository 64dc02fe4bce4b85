import type { KeyStore, StoredKey } from "./auth.keys.ts";

/** An in-memory KeyStore for tests. */
export class MemoryKeyStore implements KeyStore {
  readonly keys: StoredKey[] = [];

  async recent(limit: number): Promise<StoredKey[]> {
    // Later keys win ties: two rotations within one millisecond retire keys at the same instant.
    return this.keys
      .map((k, i) => ({ k, i }))
      .sort(
        (a, b) =>
          Number(a.k.retiredAt !== null) - Number(b.k.retiredAt !== null) || order(b.k) - order(a.k) || b.i - a.i,
      )
      .map(({ k }) => ({ ...k }))
      .slice(0, limit)
      .map((k) => ({ ...k }));
  }

  async add(key: StoredKey, options: { onlyIfEmpty?: boolean } = {}) {
    if (options.onlyIfEmpty && this.keys.length > 0) return { added: false, retiredKid: null };
    const active = this.keys.find((k) => k.retiredAt === null);
    if (active) active.retiredAt = key.createdAt;
    this.keys.push({ ...key, retiredAt: null });
    return { added: true, retiredKid: active?.kid ?? null };
  }
}

const order = (k: StoredKey) => (k.retiredAt ?? k.createdAt).getTime();
