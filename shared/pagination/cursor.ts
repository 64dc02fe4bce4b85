import { AppError } from "../errors/index.ts";

/** A keyset position: a listing ordered by (createdAt, id) continues strictly after (or, newest first, before) it. */
export interface PageCursor {
  createdAt: Date;
  id: string;
}

/** Encodes a listing position as an opaque cursor. */
export function encodeCursor(c: PageCursor): string {
  return Buffer.from(`${c.createdAt.toISOString()}|${c.id}`).toString("base64url");
}

const ISO_MS = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/;

/** Decodes an opaque cursor; a malformed one is an `invalid_argument` naming `/query/cursor`. */
export function decodeCursor(cursor: string): PageCursor {
  const parts = Buffer.from(cursor, "base64url").toString("utf8").split("|");
  const [iso = "", id = ""] = parts;
  const createdAt = new Date(iso);
  // only what encodeCursor writes: a PostgreSQL timestamp (years 1 to 9999) in toISOString's form
  const wellFormed =
    parts.length === 2 &&
    ISO_MS.test(iso) &&
    !iso.startsWith("0000") &&
    !Number.isNaN(createdAt.getTime()) &&
    createdAt.toISOString() === iso &&
    /^[0-9a-f-]{36}$/i.test(id);
  if (!wellFormed) {
    throw new AppError("invalid_argument", "cursor is malformed", {
      fields: [{ path: "/query/cursor", message: "not a cursor returned by this API" }],
    });
  }
  return { createdAt, id };
}
