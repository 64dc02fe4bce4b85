import { describe, expect, test } from "bun:test";
import { textFieldErrorOf } from "./text.ts";

describe("the text check every transport applies", () => {
  test("names the first string holding a NUL or a lone surrogate, in values and keys, at any depth", () => {
    expect(textFieldErrorOf({ a: "fine", b: ["x", "a\u0000b"] }, ["body"])?.path).toBe("/body/b/1");
    expect(textFieldErrorOf({ a: { name: "\ud800" } }, ["body"])).toEqual({
      path: "/body/a/name",
      message: expect.stringContaining("lone UTF-16 surrogate"),
    });
    expect(textFieldErrorOf({ "k\u0000": 1 }, ["body"])?.path).toBe("/body/k\\u0000");
    expect(textFieldErrorOf("x\udc00y", [])?.path).toBe("/");
  });

  test("passes surrogate pairs, other control characters and non-strings", () => {
    expect(textFieldErrorOf({ emoji: "😀", tab: "a\tb\u0001", n: 1, none: null, list: [true] }, ["body"])).toBeNull();
  });
});
