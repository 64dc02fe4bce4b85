import { describe, expect, test } from "bun:test";
import { type BreakerState, createBreaker } from "./breaker.ts";

function setup(cfg: Record<string, unknown> = {}) {
  let clock = 0;
  const changes: Array<[BreakerState, BreakerState]> = [];
  const logged: object[] = [];
  const cb = createBreaker(
    { interval: 60, timeout: 10, max_errors: 2, name: "catalog", log_status_change: true, ...cfg },
    {
      now: () => clock,
      onStateChange: ({ from, to }) => changes.push([from, to]),
      logger: { warn: (o) => logged.push(o) },
    },
  );
  return { cb, changes, logged, advance: (sec: number) => (clock += sec * 1000) };
}

describe("qos/circuit-breaker", () => {
  test("the circuit opens when consecutive failures exceed max_errors, and rejects while open", () => {
    const { cb, changes, logged } = setup();
    cb.onFailure();
    cb.onFailure();
    expect(cb.state()).toBe("closed");
    expect(cb.allow()).toBe(true);
    cb.onFailure();
    expect(cb.state()).toBe("open");
    expect(cb.allow()).toBe(false);
    expect(changes).toEqual([["closed", "open"]]);
    expect(logged).toEqual([{ breaker: "catalog", from: "closed", to: "open" }]);
  });

  test("a success between failures restarts the consecutive count", () => {
    const { cb } = setup();
    for (let i = 0; i < 10; i++) {
      cb.onFailure();
      cb.onFailure();
      cb.onSuccess();
    }
    expect(cb.state()).toBe("closed");
  });

  test("failures spread over more than one interval do not open the circuit", () => {
    const { cb, advance } = setup({ interval: 5 });
    cb.onFailure();
    cb.onFailure();
    advance(6);
    cb.onFailure();
    expect(cb.state()).toBe("closed");
  });

  test("after the timeout one trial request is let through, and its success closes the circuit", () => {
    const { cb, changes, advance } = setup();
    for (let i = 0; i < 3; i++) cb.onFailure();
    advance(9);
    expect(cb.allow()).toBe(false);
    advance(1);
    expect(cb.state()).toBe("half-open");
    expect(cb.allow()).toBe(true);
    expect(cb.allow()).toBe(false); // only one trial at a time
    cb.onSuccess();
    expect(cb.state()).toBe("closed");
    expect(cb.allow()).toBe(true);
    expect(changes).toEqual([
      ["closed", "open"],
      ["open", "half-open"],
      ["half-open", "closed"],
    ]);
  });

  test("a failed trial opens the circuit for another timeout", () => {
    const { cb, advance } = setup();
    for (let i = 0; i < 3; i++) cb.onFailure();
    advance(10);
    expect(cb.allow()).toBe(true);
    cb.onFailure();
    expect(cb.state()).toBe("open");
    advance(5);
    expect(cb.allow()).toBe(false);
    advance(5);
    expect(cb.allow()).toBe(true);
  });

  test("an invalid config names the offending field", () => {
    expect(() => createBreaker({ interval: 60, timeout: "10s", max_errors: 1 })).toThrow(
      /qos\/circuit-breaker\.timeout/,
    );
    expect(() => createBreaker({ interval: 60, timeout: 10 })).toThrow(/max_errors/);
  });
});
