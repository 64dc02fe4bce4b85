// HTTP/1.1 field rules that the client's response parser and the server's request parser share.

/**
 * A Content-Length field value: its length, or why it is refused. A list is accepted only as one value
 * repeated (`5, 5`, RFC 9110 8.6); anything else could frame the message two ways (request smuggling).
 */
export function contentLengthOf(value: string): number | "invalid" | "conflict" {
  const parts = value.includes(",") ? value.split(",") : [value];
  let first: string | null = null;
  for (const part of parts) {
    const v = part.trim();
    if (v.length === 0 || v.length > 15) return "invalid";
    for (let i = 0; i < v.length; i++) {
      const c = v.charCodeAt(i);
      if (c < 48 || c > 57) return "invalid";
    }
    if (first === null) first = v;
    else if (v !== first) return "conflict";
  }
  return Number(first);
}
