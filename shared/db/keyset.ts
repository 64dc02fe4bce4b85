import { and, type Column, eq, gt, lt, or, type SQL } from "drizzle-orm";
import type { PageCursor } from "../pagination/cursor.ts";

/** The columns a keyset listing is ordered by. */
export interface KeysetColumns {
  createdAt: Column;
  id: Column;
}

/** Rows strictly after `cursor` in (createdAt, id) order: the condition of an oldest-first page. */
export function afterKey(columns: KeysetColumns, cursor: PageCursor): SQL | undefined {
  return or(
    gt(columns.createdAt, cursor.createdAt),
    and(eq(columns.createdAt, cursor.createdAt), gt(columns.id, cursor.id)),
  );
}

/** Rows strictly before `cursor` in (createdAt, id) order: the condition of a newest-first page. */
export function beforeKey(columns: KeysetColumns, cursor: PageCursor): SQL | undefined {
  return or(
    lt(columns.createdAt, cursor.createdAt),
    and(eq(columns.createdAt, cursor.createdAt), lt(columns.id, cursor.id)),
  );
}
