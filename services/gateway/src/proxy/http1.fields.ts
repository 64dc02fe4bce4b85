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

/** tchar (RFC 9110 5.6.2) by char code below 128: 1 for a token character. */
export const TOKEN = (() => {
  const t = new Uint8Array(128);
  for (const c of "!#$%&'*+-.^_`|~0123456789") t[c.charCodeAt(0)] = 1;
  for (let c = 65; c <= 90; c++) t[c] = t[c + 32] = 1;
  return t;
})();

/** Node's Buffer methods that Bun implements but its types omit: the cheapest latin1/utf8 conversions. */
export interface FastBuffer extends Buffer {
  latin1Slice(start: number, end: number): string;
  latin1Write(text: string, offset: number): number;
  utf8Write(text: string, offset: number): number;
}
