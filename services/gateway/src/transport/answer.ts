// Working with an `Answer` before a transport writes it: the HTTP/1.1 server writes it straight to the
// socket; `toResponse` turns it into a Web Response (the Bun.serve transport and unit tests).
import type { Answer } from "./transport.ts";

/** Replaces every header named `name` (case-insensitive) with one `name: value`. */
export function setHeader(a: Answer, name: string, value: string): void {
  const lower = name.toLowerCase();
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
  for (let i = 0; i < a.headers.length; i += 2) headers.append(a.headers[i]!, a.headers[i + 1]!);
  return new Response(a.body as BodyInit | null, { status: a.status, headers });
}
