/**
 * A bounded least-recently-used map on top of `Map`'s insertion order: `get` moves an entry to the young
 * end, `set` evicts from the old end past `maxEntries`. `onEvict` sees every entry dropped for room.
 * @example const lru = new Lru<string, number>(2); lru.set("a", 1); lru.set("b", 2); lru.get("a"); lru.set("c", 3); // "b" evicted
 */
export class Lru<K, V> {
  readonly #map = new Map<K, V>();
  constructor(
    readonly maxEntries: number,
    private readonly onEvict?: (key: K, value: V) => void,
  ) {}

  get size(): number {
    return this.#map.size;
  }

  /** The value for `key`, marked as just used. */
  get(key: K): V | undefined {
    const value = this.#map.get(key);
    if (value === undefined) return undefined;
    this.#map.delete(key);
    this.#map.set(key, value);
    return value;
  }

  /** The value for `key` without changing its age. */
  peek(key: K): V | undefined {
    return this.#map.get(key);
  }

  set(key: K, value: V): void {
    this.#map.delete(key);
    this.#map.set(key, value);
    while (this.#map.size > this.maxEntries) this.evictOldest();
  }

  delete(key: K): boolean {
    return this.#map.delete(key);
  }

  /** Drops the least recently used entry (reported to `onEvict`); false when empty. */
  evictOldest(): boolean {
    const oldest = this.#map.entries().next();
    if (oldest.done) return false;
    const [key, value] = oldest.value;
    this.#map.delete(key);
    this.onEvict?.(key, value);
    return true;
  }

  clear(): void {
    this.#map.clear();
  }

  keys(): IterableIterator<K> {
    return this.#map.keys();
  }
}
