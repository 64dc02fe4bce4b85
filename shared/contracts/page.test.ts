import { describe, expect, test } from "bun:test";
import { z } from "@hono/zod-openapi";
import { pageDto, pageQuery, toPageDto } from "./page.ts";

describe("page DTOs", () => {
  test("a domain page becomes its DTO item by item, with the cursor unchanged", () => {
    expect(toPageDto({ items: [1, 2], nextCursor: "c" }, (n) => `#${n}`)).toEqual({
      items: ["#1", "#2"],
      nextCursor: "c",
    });
  });

  test("a page schema accepts items of its kind and a null cursor", () => {
    const schema = pageDto(z.object({ id: z.string() }), "ThingPage");
    expect(schema.safeParse({ items: [{ id: "a" }], nextCursor: null }).success).toBe(true);
    expect(schema.safeParse({ items: [{ id: 1 }], nextCursor: null }).success).toBe(false);
  });

  test("the page query defaults the limit to 20 and refuses one above 100", () => {
    const query = z.object(pageQuery);
    expect(query.parse({})).toEqual({ limit: 20 });
    expect(query.parse({ cursor: "c", limit: "5" })).toEqual({ cursor: "c", limit: 5 });
    expect(query.safeParse({ limit: "101" }).success).toBe(false);
  });
});
