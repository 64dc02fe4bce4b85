import { AppError } from "../errors/index.ts";

/** One request that carries a key: who sent it (the scope), the key, and the fingerprint of its input. */
export interface IdempotencyClaim {
  /** The caller the key belongs to: the user id, or `anonymous`. */
  scope: string;
  key: string;
  fingerprint: string;
}

/** A success as it went out, kept to answer retries with it. */
export interface StoredAnswer {
  status: number;
  /** The JSON body as sent; null for 204. */
  body: string | null;
  headers: Record<string, string>;
}

/** What a store gives back: the answer, and whether it was replayed from an earlier request. */
export interface IdempotencyOutcome {
  answer: StoredAnswer;
  replayed: boolean;
}

/**
 * Where keys and their answers live. `run` executes the request once per (scope, key): a first request runs
 * `execute` and keeps its answer; a retry with the same fingerprint gets that answer back; another fingerprint
 * throws `keyReused()` (422); a retry while the first still runs throws `keyInProgress()` (409). When
 * `execute` throws nothing is kept, so the key may be used again.
 */
export interface IdempotencyStore {
  run(claim: IdempotencyClaim, execute: () => Promise<StoredAnswer>): Promise<IdempotencyOutcome>;
  /** Deletes expired keys; resolves to how many went. */
  purge(): Promise<number>;
}

/** The 422 for a key sent again with another request. */
export function keyReused(): AppError {
  return new AppError(
    "unprocessable_content",
    "This Idempotency-Key was already used with another request; use a new key for a new request",
  );
}

/** The 409 for a retry that arrives while the request that first carried its key still runs. */
export function keyInProgress(): AppError {
  return new AppError(
    "conflict",
    "A request with this Idempotency-Key is still being processed; retry after it has answered",
    { headers: { "retry-after": "1" } },
  );
}
