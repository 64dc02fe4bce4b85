// Working with an `Answer` before a transport writes it: the HTTP/1.1 server writes it straight to the
// socket; `toResponse` turns it into a Web Response (the Bun.serve transport and unit tests).
import { reasonOf } from "../http1/server.answer.ts";
import type { Answer, PreparedHead } from "./transport.ts";

const unframed = new Set(["content-length", "connection", "transfer-encoding"]);

/** Renders `pairs` (checked: no CR or LF) once for answers that reuse them; framing headers are left out,
 * since the transport writes its own. */
export function prepareHead(status: number, pairs: readonly string[]): PreparedHead {
  const kept: string[] = [];
  const names = new Set<string>();
  let text = `HTTP/1.1 ${status} ${reasonOf(status)}\r\n`;
  for (let i = 0; i < pairs.length; i += 2) {
    const name = pairs[i]!.toLowerCase();
    if (unframed.has(name)) continue;
    kept.push(pairs[i]!, pairs[i + 1]!);
    names.add(name);
    text += `${pairs[i]}: ${pairs[i + 1]}\r\n`;
  }
  return { status, pairs: kept, names, bytes: Buffer.from(text, "latin1"), date: names.has("date") };
}

/** Every header pair of an answer, the prepared ones first. */
export function headerPairs(a: Answer): string[] {
  return a.head === undefined ? a.headers : [...a.head.pairs, ...a.headers];
}

/** Replaces every header named `name` (case-insensitive) with one `name: value`. */
export function setHeader(a: Answer, name: string, value: string): void {
  const lower = name.toLowerCase();
  const head = a.head;
  if (head !== undefined && head.names.has(lower)) {
    // a prepared pair changes: the answer goes back to plain pairs
    a.headers = [...head.pairs, ...a.headers];
    a.checked = (a.checked ?? 0) + (head.pairs.length >> 1);
    a.head = undefined;
  }
  const h = a.headers;
  for (let i = 0; i < h.length; i += 2) {
    if (h[i]!.toLowerCase() === lower) {
      // from here on pairs change or move: none of them counts as checked any more
      if (a.checked !== undefined && a.checked > i >> 1) a.checked = i >> 1;
      h[i + 1] = value;
      for (let j = i + 2; j < h.length; j += 2) {
        if (h[j]!.toLowerCase() === lower) {
          h.splice(j, 2);
          j -= 2;
        }
      }
      return;
    }
  }
  h.push(name, value);
}

/** The answer as a Web Response. */
export function toResponse(a: Answer): Response {
  const headers = new Headers();
  const pairs = headerPairs(a);
  for (let i = 0; i < pairs.length; i += 2) headers.append(pairs[i]!, pairs[i + 1]!);
  return new Response(a.body as BodyInit | null, { status: a.status, headers });
}
