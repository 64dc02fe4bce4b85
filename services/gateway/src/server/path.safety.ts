// Route parameters must stay inside the backend path the route names.

/** Encoded slashes and dot segments would let a client walk out of the backend path it was routed to. */
function unsafeSegment(seg: string): boolean {
  if (seg.includes("%")) {
    if (/%(2f|5c|00)/i.test(seg)) return true;
    try {
      const d = decodeURIComponent(seg);
      return d === "." || d === "..";
    } catch {
      return true;
    }
  }
  return seg === "." || seg === "..";
}

/** True when a matched parameter or the wildcard rest holds a segment that is unsafe to forward. */
export function unsafeRoute(params: string[], rest: string | null): boolean {
  for (const p of params) if (unsafeSegment(p)) return true;
  if (rest !== null) for (const seg of rest.split("/")) if (unsafeSegment(seg)) return true;
  return false;
}
