// The driver's queue (postgres.js keeps its pooled connections and waiting queries in it), as patched: a queue
// that never runs empty, as the busy connections of a pool under steady load, must not keep a hole for every
// item it ever handed out: `remove` scans the array on every query, so the CPU per query would grow for as long
// as the load lasts.
import { describe, expect, test } from "bun:test";
import { dirname, join } from "node:path";

interface DriverQueue<T> {
  readonly length: number;
  push(x: T): T;
  shift(): T | undefined;
  remove(x: T): T | null;
}

const { default: Queue } = (await import(join(dirname(Bun.resolveSync("postgres", import.meta.dir)), "queue.js"))) as {
  default: <T>(initial?: T[]) => DriverQueue<T>;
};

function heapBytes(): number {
  Bun.gc(true);
  return process.memoryUsage().heapUsed;
}

describe("the driver's queue", () => {
  test("a queue that never runs empty keeps only what it holds", () => {
    const queue = Queue<object>([{}, {}]);
    const before = heapBytes();
    for (let i = 0; i < 1_000_000; i++) queue.push(queue.shift()!);
    const grown = heapBytes() - before;
    expect(queue.length).toBe(2);
    // a hole per item handed out would be a million array slots: 8 MB and more
    expect(grown).toBeLessThan(2_000_000);
  });

  test("items come out in the order they went in, across the queue's compactions", () => {
    const queue = Queue<number>();
    for (let i = 0; i < 200; i++) queue.push(i);
    const taken = Array.from({ length: 100 }, () => queue.shift());
    expect(taken).toEqual(Array.from({ length: 100 }, (_, i) => i));
    expect(queue.remove(150)).toBe(150);
    expect(queue.remove(42)).toBeNull();
    expect(queue.length).toBe(99);
    const rest: number[] = [];
    while (queue.length > 0) rest.push(queue.shift()!);
    expect(rest).toEqual([
      ...Array.from({ length: 50 }, (_, i) => 100 + i),
      ...Array.from({ length: 49 }, (_, i) => 151 + i),
    ]);
  });

  test("taking from an empty queue gives nothing and leaves it empty", () => {
    const queue = Queue<number>();
    expect(queue.shift()).toBeUndefined();
    expect(queue.length).toBe(0);
    queue.push(7);
    expect(queue.length).toBe(1);
    expect(queue.shift()).toBe(7);
    expect(queue.length).toBe(0);
  });
});
