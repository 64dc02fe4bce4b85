// How an answer travels from the upstream socket callback that completes it to the client's connection: by
// plain calls, without a promise or a microtask per step. Under load each promise step between a backend's
// answer and the client's is a visible share of a merge's CPU, so the hot path settles values by calling.

/** Where one value goes: exactly one of the two, once, and neither may throw. A producer may call it before
 * the call that started it returns (a request that cannot be sent fails at once). */
export interface Sink<T> {
  answer(value: T): void;
  /** The value will not come: a failure, or an unexpected error (a bug) the consumer logs. */
  fail(err: unknown): void;
}

type Consumer<T> = [ok: (value: T) => void, bad: (err: unknown) => void];

/**
 * A value settled once by a call (`resolve` or `reject`; later calls are ignored) and read through `then`.
 * A consumer is called at once when the value is there, else from the settling call. What a consumer throws
 * becomes an unhandled rejection, as it would in a promise's callback (the gateway logs it and drains),
 * never an exception in the settling code. Transports take it wherever they take a promise.
 * @example
 * const answer = new Deferred<number>();
 * answer.then((n) => console.log(n), (err) => console.error(err));
 * answer.resolve(42); // logs 42 before resolve returns
 */
export class Deferred<T> {
  private state: "waiting" | "resolved" | "rejected" = "waiting";
  private value: unknown = undefined;
  private consumers: Consumer<T>[] | null = null;

  // biome-ignore lint/suspicious/noThenProperty: a thenable on purpose: transports and tests await it as a promise
  then(ok: (value: T) => void, bad: (err: unknown) => void): void {
    if (this.state !== "waiting") notify(this.state === "resolved", this.value, ok, bad);
    else if (this.consumers === null) this.consumers = [[ok, bad]];
    else this.consumers.push([ok, bad]);
  }

  resolve(value: T): void {
    this.settle("resolved", value);
  }

  reject(err: unknown): void {
    this.settle("rejected", err);
  }

  /** True once settled. */
  get settled(): boolean {
    return this.state !== "waiting";
  }

  private settle(state: "resolved" | "rejected", value: unknown): void {
    if (this.state !== "waiting") return;
    this.state = state;
    this.value = value;
    const consumers = this.consumers;
    this.consumers = null;
    if (consumers !== null) for (const [ok, bad] of consumers) notify(state === "resolved", value, ok, bad);
  }
}

function notify<T>(resolved: boolean, value: unknown, ok: (value: T) => void, bad: (err: unknown) => void): void {
  try {
    if (resolved) ok(value as T);
    else bad(value);
  } catch (err) {
    Promise.reject(err);
  }
}
