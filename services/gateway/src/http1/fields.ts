// HTTP/1.1 field rules that the client's response parser and the server's request parser share.

/**
 * A Content-Length field value: its length, or why it is refused. A list is accepted only as one value
 * repeated (`5, 5`, RFC 9110 8.6); anything else could frame the message two ways (request smuggling).
 */
export function contentLengthOf(value: string): number | "invalid" | "conflict" {
  // the usual value, up to 15 digits and nothing else, is read in one pass, without splitting or trimming
  const len = value.length;
  if (len > 0 && len <= 15) {
    let n = 0;
    let i = 0;
    for (; i < len; i++) {
      const d = value.charCodeAt(i) - 48;
      if (d < 0 || d > 9) break;
      n = n * 10 + d;
    }
    if (i === len) return n;
  }
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

/** A non-empty run of token characters (a method, a header name, a transfer coding). */
export function isToken(s: string): boolean {
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c > 127 || TOKEN[c] !== 1) return false;
  }
  return s.length > 0;
}

/** A field line without its CRLF (a trailer): a token name, a colon, then a value free of control
 * characters but HTAB; no leading whitespace (obs-fold). */
export function isFieldLine(line: string): boolean {
  const colon = line.indexOf(":");
  if (colon <= 0 || !isToken(line.slice(0, colon))) return false;
  for (let i = colon + 1; i < line.length; i++) {
    const c = line.charCodeAt(i);
    if ((c < 32 && c !== 9) || c === 127) return false;
  }
  return true;
}

/** Every character is ASCII. */
export function isAscii(s: string): boolean {
  for (let i = 0; i < s.length; i++) if (s.charCodeAt(i) > 127) return false;
  return true;
}

/** Optional whitespace around a field value: space or horizontal tab. */
export const isBlank = (c: number) => c === 32 || c === 9;

/** Node's Buffer methods that Bun implements but its types omit: the cheapest latin1/utf8 conversions. */
export interface FastBuffer extends Buffer {
  latin1Slice(start: number, end: number): string;
  utf8Slice(start: number, end: number): string;
  latin1Write(text: string, offset: number): number;
  utf8Write(text: string, offset: number): number;
}

/** Header names common enough to keep one lower-case copy of, by length (a name read off the wire is
 * matched case-insensitively against these instead of sliced and lower-cased). */
const KNOWN_NAMES = (() => {
  const names = [
    "accept",
    "accept-encoding",
    "accept-language",
    "accept-ranges",
    "age",
    "authorization",
    "cache-control",
    "connection",
    "content-encoding",
    "content-length",
    "content-type",
    "cookie",
    "date",
    "etag",
    "expect",
    "expires",
    "host",
    "if-modified-since",
    "if-none-match",
    "keep-alive",
    "last-modified",
    "location",
    "origin",
    "referer",
    "server",
    "set-cookie",
    "traceparent",
    "transfer-encoding",
    "user-agent",
    "vary",
    "x-forwarded-for",
    "x-request-id",
  ];
  const byLength: string[][] = [];
  for (const n of names) {
    const list = byLength[n.length] ?? [];
    list.push(n);
    byLength[n.length] = list;
  }
  return byLength;
})();

/**
 * The lower-case name of the header whose name is `text[start, end)` (token characters only): a shared
 * constant for common names, else a lower-cased slice.
 */
export function headerName(text: string, start: number, end: number, upper: boolean): string {
  const candidates = KNOWN_NAMES[end - start];
  if (candidates !== undefined) {
    for (const known of candidates) {
      let i = 0;
      // token characters: OR-ing 0x20 lower-cases letters and leaves digits and '-' as they are
      while (i < known.length && (text.charCodeAt(start + i) | 0x20) === known.charCodeAt(i)) i++;
      if (i === known.length) return known;
    }
  }
  const slice = text.slice(start, end);
  return upper ? slice.toLowerCase() : slice;
}
