import { describe, expect, test } from "bun:test";
import { headerPairs, prepareHead, setHeader, toResponse } from "./answer.ts";
import type { Answer } from "./transport.ts";

describe("answer", () => {
  test("setHeader replaces every header of that name, whatever its case, with one value", () => {
    const a: Answer = { status: 200, headers: ["Vary", "a", "x-one", "1", "vary", "b"], body: null };
    setHeader(a, "vary", "Origin");
    expect(a.headers).toEqual(["Vary", "Origin", "x-one", "1"]);
  });

  test("setHeader stops counting as checked every pair from the first one it changes", () => {
    const a: Answer = { status: 200, headers: ["a", "1", "vary", "x", "b", "2", "Vary", "y"], body: null, checked: 4 };
    setHeader(a, "Vary", "Origin");
    expect(a.headers).toEqual(["a", "1", "vary", "Origin", "b", "2"]);
    expect(a.checked).toBe(1);
    const untouched: Answer = { status: 200, headers: ["a", "1"], body: null, checked: 1 };
    setHeader(untouched, "x-new", "v");
    expect(untouched.checked).toBe(1);
  });

  test("setHeader appends a header the answer does not have yet", () => {
    const a: Answer = { status: 200, headers: ["x-one", "1"], body: null };
    setHeader(a, "RateLimit-Limit", "10");
    expect(toResponse(a).headers.get("ratelimit-limit")).toBe("10");
    expect(a.headers).toEqual(["x-one", "1", "RateLimit-Limit", "10"]);
  });

  test("toResponse keeps the status, every header and the body", async () => {
    const res = toResponse({ status: 418, headers: ["set-cookie", "a=1", "set-cookie", "b=2"], body: "tea" });
    expect(res.status).toBe(418);
    expect(res.headers.getSetCookie()).toEqual(["a=1", "b=2"]);
    expect(await res.text()).toBe("tea");
  });

  test("a prepared head renders the status line and its pairs once, without framing headers", () => {
    const head = prepareHead(200, ["content-type", "application/json", "content-length", "9", "Date", "x"]);
    expect(Buffer.from(head.bytes).toString("latin1")).toBe(
      "HTTP/1.1 200 OK\r\ncontent-type: application/json\r\nDate: x\r\n",
    );
    expect(head.date).toBe(true);
    expect(head.pairs).toEqual(["content-type", "application/json", "Date", "x"]);
  });

  test("setHeader adds after a prepared head, and one it changes turns the answer back into plain pairs", () => {
    const head = prepareHead(200, ["content-type", "text/plain", "vary", "Accept"]);
    const added: Answer = { status: 200, headers: ["x-request-id", "r1"], body: null, head };
    setHeader(added, "x-limit", "5");
    expect(added.head).toBe(head);
    expect(headerPairs(added)).toEqual([
      "content-type",
      "text/plain",
      "vary",
      "Accept",
      "x-request-id",
      "r1",
      "x-limit",
      "5",
    ]);

    const changed: Answer = { status: 200, headers: ["x-request-id", "r1"], body: null, head };
    setHeader(changed, "Content-Type", "text/html");
    expect(changed.head).toBeUndefined();
    expect(changed.headers).toEqual(["content-type", "text/html", "vary", "Accept", "x-request-id", "r1"]);
    expect(changed.checked).toBe(0);
    expect(toResponse(added).headers.get("vary")).toBe("Accept");
  });
});
