import type { KeyStore, StoredKey } from "./auth.keys.ts";

/** An in-memory KeyStore for tests. */
export class MemoryKeyStore implements KeyStore {
  readonly keys: StoredKey[] = [];

  async recent(limit: number): Promise<StoredKey[]> {
    return [...this.keys]
      .sort((a, b) => Number(a.retiredAt !== null) - Number(b.retiredAt !== null) || order(b) - order(a))
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
