import { describe, expect, test } from "bun:test";
import { UpstreamLimit } from "./upstream.limit.ts";

describe("upstream concurrency limit", () => {
  test("calls beyond the limit wait for a free slot of the same origin only", async () => {
    const limit = new UpstreamLimit(1);
    const never = new AbortController().signal;
    expect(limit.acquire("http://a", never)).toBeNull();
    expect(limit.acquire("http://b", never)).toBeNull();
    let entered = false;
    const waiting = limit.acquire("http://a", never)!.then(() => {
      entered = true;
    });
    await Bun.sleep(5);
    expect(entered).toBe(false);
    limit.release("http://a");
    await waiting;
    expect(entered).toBe(true);
  });

  test("a waiting call gives up when its deadline passes", async () => {
    const limit = new UpstreamLimit(1);
    limit.acquire("http://a", new AbortController().signal);
    const wait = limit.acquire("http://a", AbortSignal.timeout(10));
    expect(wait).not.toBeNull();
    await expect(wait!).rejects.toBeDefined();
    limit.release("http://a");
    expect(limit.acquire("http://a", new AbortController().signal)).toBeNull();
  });
});
