// The wire shape of keyset pages, the same in every service's API: a `cursor` and `limit` query, and
// `{ items, nextCursor }` answers.
import { z } from "@hono/zod-openapi";
import type { Page } from "../pagination/page.ts";

const queryParam = (name: string) => ({ param: { name, in: "query" as const } });

/** The query of a page: an opaque `cursor` from the previous page and a `limit` of 1-100 (default 20). */
export const pageQuery = {
  cursor: z.string().max(200).optional().openapi(queryParam("cursor")),
  limit: z.coerce.number().int().min(1).max(100).default(20).openapi(queryParam("limit")),
};

/** The schema of one page of `item`, named `name` in the API documents. */
export function pageDto<T extends z.ZodType>(item: T, name: string) {
  return z.object({ items: z.array(item), nextCursor: z.string().nullable() }).openapi(name);
}

/** A domain page as its DTO: every item through `toDto`, the cursor as it is. */
export function toPageDto<T, D>(page: Page<T>, toDto: (item: T) => D): { items: D[]; nextCursor: string | null } {
  return { items: page.items.map(toDto), nextCursor: page.nextCursor };
}
