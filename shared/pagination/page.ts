import type { PageCursor } from "./cursor.ts";

/** One page of a keyset-paginated listing. */
export interface Page<T> {
  items: T[];
  nextCursor: string | null;
}

/**
 * The page in `rows` fetched with `limit + 1`: the first `limit` rows, and a cursor made from the last of
 * them when the extra row shows there is more.
 * @example return pageOf(await this.repo.list(after, limit + 1), limit, encodeCursor);
 */
export function pageOf<T>(rows: T[], limit: number, cursorOf: (last: T) => string): Page<T> {
  const items = rows.slice(0, limit);
  const last = items.at(-1);
  return { items, nextCursor: rows.length > limit && last ? cursorOf(last) : null };
}

/** Orders positions by (createdAt, id), oldest first: the order of the keyset (in-memory fakes sort with it). */
export function compareKeys(a: PageCursor, b: PageCursor): number {
  return a.createdAt.getTime() - b.createdAt.getTime() || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0);
}
