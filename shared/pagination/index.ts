export { decodeCursor, encodeCursor, type PageCursor } from "./cursor.ts";
export { compareKeys, type Page, pageOf } from "./page.ts";
