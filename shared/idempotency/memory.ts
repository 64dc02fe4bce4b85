import {
  type IdempotencyClaim,
  type IdempotencyOutcome,
  type IdempotencyStore,
  keyInProgress,
  keyReused,
  type StoredAnswer,
} from "./store.ts";

interface Entry {
  fingerprint: string;
  /** Undefined while the first request runs. */
  answer?: StoredAnswer;
  expiresAt: number;
}

/** Keys in a Map, for unit and route tests (one process, lost on exit). */
export class MemoryIdempotencyStore implements IdempotencyStore {
  private readonly entries = new Map<string, Entry>();
  private readonly ttlMs: number;
  private readonly now: () => number;

  constructor(options: { ttlMs?: number; now?: () => number } = {}) {
    this.ttlMs = options.ttlMs ?? 86_400_000;
    this.now = options.now ?? Date.now;
  }

  async run(claim: IdempotencyClaim, execute: () => Promise<StoredAnswer>): Promise<IdempotencyOutcome> {
    const id = `${claim.scope}\n${claim.key}`;
    const found = this.entries.get(id);
    if (found && found.expiresAt > this.now()) {
      if (found.fingerprint !== claim.fingerprint) throw keyReused();
      if (found.answer === undefined) throw keyInProgress();
      return { answer: found.answer, replayed: true };
    }
    const entry: Entry = { fingerprint: claim.fingerprint, expiresAt: this.now() + this.ttlMs };
    this.entries.set(id, entry);
    try {
      entry.answer = await execute();
    } catch (err) {
      this.entries.delete(id);
      throw err;
    }
    return { answer: entry.answer, replayed: false };
  }

  async purge(): Promise<number> {
    const now = this.now();
    let purged = 0;
    for (const [id, entry] of this.entries) {
      if (entry.answer !== undefined && entry.expiresAt <= now) {
        this.entries.delete(id);
        purged++;
      }
    }
    return purged;
  }

  /** How many keys are kept (for tests). */
  get size(): number {
    return this.entries.size;
  }
}
