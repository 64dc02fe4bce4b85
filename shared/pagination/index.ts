import { AppError } from "../errors/index.ts";

/** A keyset position: listings ordered by (createdAt, id) continue strictly after it. */
export interface KeysetCursor {
  createdAt: Date;
  id: string;
}

/** Encodes a listing position as an opaque cursor. */
export function encodeCursor(c: KeysetCursor): string {
  return Buffer.from(`${c.createdAt.toISOString()}|${c.id}`).toString("base64url");
}

/** Decodes an opaque cursor; a malformed one is an `invalid_argument` naming `/query/cursor`. */
export function decodeCursor(cursor: string): KeysetCursor {
  const [iso, id] = Buffer.from(cursor, "base64url").toString("utf8").split("|");
  const createdAt = new Date(iso ?? "");
  if (!id || Number.isNaN(createdAt.getTime()) || !/^[0-9a-f-]{36}$/i.test(id)) {
    throw new AppError("invalid_argument", "cursor is malformed", {
      fields: [{ path: "/query/cursor", message: "not a cursor returned by this API" }],
    });
  }
  return { createdAt, id };
}
