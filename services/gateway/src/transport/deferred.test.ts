import { describe, expect, test } from "bun:test";
import { Deferred } from "./deferred.ts";

describe("Deferred", () => {
  test("a consumer waiting for the value is called from resolve, before resolve returns", () => {
    const p = new Deferred<number>();
    const seen: number[] = [];
    p.then(
      (n) => seen.push(n),
      () => seen.push(-1),
    );
    expect(seen).toEqual([]);
    p.resolve(7);
    expect(seen).toEqual([7]);
  });

  test("a consumer that comes after the value is called at once, and every consumer gets it", () => {
    const p = new Deferred<string>();
    const seen: string[] = [];
    p.then(
      (v) => seen.push(`first ${v}`),
      () => {},
    );
    p.resolve("x");
    p.then(
      (v) => seen.push(`late ${v}`),
      () => {},
    );
    expect(seen).toEqual(["first x", "late x"]);
    expect(p.settled).toBe(true);
  });

  test("it settles once: a later resolve or reject changes nothing", () => {
    const p = new Deferred<number>();
    const seen: unknown[] = [];
    p.then(
      (n) => seen.push(n),
      (err) => seen.push(err),
    );
    p.reject("boom");
    p.resolve(1);
    p.reject("again");
    expect(seen).toEqual(["boom"]);
  });

  test("await reads it like a promise, resolved or rejected", async () => {
    const ok = new Deferred<number>();
    setTimeout(() => ok.resolve(3), 1);
    expect(await ok).toBe(3);
    const bad = new Deferred<number>();
    setTimeout(() => bad.reject(new Error("no")), 1);
    let caught: unknown = null;
    try {
      await bad;
    } catch (err) {
      caught = err;
    }
    expect(String(caught)).toContain("no");
  });

  test("what a consumer throws never reaches the code that settled it; it surfaces as an unhandled rejection", () => {
    // in a process of its own: the test runner fails any test during which an unhandled rejection happens
    const script = `
      import { Deferred } from ${JSON.stringify(`${import.meta.dir}/deferred.ts`)};
      const out = [];
      process.on("unhandledRejection", (err) => { out.push("unhandled " + err.message); console.log(out.join("; ")); });
      const p = new Deferred();
      p.then(() => { throw new Error("consumer bug"); }, () => {});
      p.then((n) => out.push("second got " + n), () => {});
      try { p.resolve(5); out.push("resolve returned"); } catch (err) { out.push("resolve threw " + err.message); }
    `;
    const run = Bun.spawnSync([process.execPath, "-e", script], { stdout: "pipe", stderr: "pipe" });
    expect(run.stdout.toString().trim()).toBe("second got 5; resolve returned; unhandled consumer bug");
  });
});
