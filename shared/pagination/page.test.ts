import { describe, expect, test } from "bun:test";
import { compareKeys, pageOf } from "./page.ts";

const at = (ms: number, id: string) => ({ createdAt: new Date(ms), id });

describe("a keyset page", () => {
  test("rows beyond the limit are cut and the last kept row makes the next cursor", () => {
    expect(pageOf([1, 2, 3], 2, (last) => `after ${last}`)).toEqual({ items: [1, 2], nextCursor: "after 2" });
  });

  test("a page with no row beyond the limit is the last one", () => {
    expect(pageOf([1, 2], 2, (last) => `after ${last}`)).toEqual({ items: [1, 2], nextCursor: null });
    expect(pageOf([], 2, (last) => `after ${last}`)).toEqual({ items: [], nextCursor: null });
  });

  test("positions order by time first and by id within the same time", () => {
    const sorted = [at(2, "a"), at(1, "b"), at(1, "a")].sort(compareKeys);
    expect(sorted).toEqual([at(1, "a"), at(1, "b"), at(2, "a")]);
    expect(compareKeys(at(1, "a"), at(1, "a"))).toBe(0);
  });
});
