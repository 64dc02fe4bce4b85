import { describe, expect, test } from "bun:test";
import { contentLengthOf, headerName } from "./fields.ts";

describe("contentLengthOf", () => {
  test("digits are a length, and one value repeated in a list is that length", () => {
    expect(contentLengthOf("0")).toBe(0);
    expect(contentLengthOf(" 42 ")).toBe(42);
    expect(contentLengthOf("5, 5,5")).toBe(5);
  });

  test("a plain run of up to 15 digits reads as its decimal value, leading zeros and all", () => {
    expect(contentLengthOf("52")).toBe(52);
    expect(contentLengthOf("007")).toBe(7);
    expect(contentLengthOf("999999999999999")).toBe(999_999_999_999_999);
    // a digit run that stops early falls back to the full rules, which still read it
    expect(contentLengthOf("52 ")).toBe(52);
    expect(contentLengthOf("5\t")).toBe(5);
  });

  test("anything but digits, an empty part or more than 15 digits is invalid", () => {
    for (const bad of ["", "-1", "+5", "0x10", "1e3", "5,", "5, ,5", "1234567890123456", "5a", "12:3", "9/"]) {
      expect(contentLengthOf(bad)).toBe("invalid");
    }
  });

  test("a list of different values is a conflict, even when they are equal as numbers", () => {
    expect(contentLengthOf("5, 6")).toBe("conflict");
    expect(contentLengthOf("05, 5")).toBe("conflict");
  });
});

describe("headerName", () => {
  test("a common name in any case is its lower-case constant, and any other name is lower-cased", () => {
    const line = "Content-Type CONTENT-LENGTH x-Custom-Thing Content-Typf etag";
    expect(headerName(line, 0, 12, true)).toBe("content-type");
    expect(headerName(line, 13, 27, true)).toBe("content-length");
    expect(headerName(line, 28, 42, true)).toBe("x-custom-thing");
    // as long as content-type and one letter off: not mistaken for it
    expect(headerName(line, 43, 55, true)).toBe("content-typf");
    expect(headerName(line, 56, 60, false)).toBe("etag");
  });
});
