import { describe, expect, test } from "bun:test";
import { errorCodeOf } from "../testing/errors.ts";
import { decodeCursor, encodeCursor } from "./index.ts";

describe("keyset cursors", () => {
  test("a cursor decodes to the position it was made from, and hides it", () => {
    const at = { createdAt: new Date("2026-11-24T05:00:00.123Z"), id: "0190d9a4-6b1e-7c3a-9f51-2b9d3c4e5f60" };
    expect(decodeCursor(encodeCursor(at))).toEqual(at);
    expect(encodeCursor(at)).not.toContain(at.id);
  });

  test("a cursor this API never made is an invalid_argument", async () => {
    for (const bad of ["", "bm9wZQ", encodeCursor({ createdAt: new Date(0), id: "x" }).slice(0, -4)]) {
      expect(await errorCodeOf(Promise.resolve().then(() => decodeCursor(bad)))).toBe("invalid_argument");
    }
  });

  test("a cursor with a date PostgreSQL cannot hold, or with more parts, is an invalid_argument", async () => {
    const id = "0190d9a4-6b1e-7c3a-9f51-2b9d3c4e5f60";
    const raw = (text: string) => Buffer.from(text).toString("base64url");
    for (const bad of [
      raw(`0000-01-01T00:00:00.000Z|${id}`),
      raw(`-001000-01-01T00:00:00.000Z|${id}`),
      raw(`+275760-09-13T00:00:00.000Z|${id}`),
      raw(`2026-11-24T05:00:00Z|${id}`),
      raw(`2026-02-30T05:00:00.000Z|${id}`),
      raw(`2026-11-24T05:00:00.000Z|${id}|x`),
    ]) {
      expect(await errorCodeOf(Promise.resolve().then(() => decodeCursor(bad)))).toBe("invalid_argument");
    }
    const first = raw(`0001-01-01T00:00:00.000Z|${id}`);
    expect(decodeCursor(first).createdAt.getUTCFullYear()).toBe(1);
  });
});
