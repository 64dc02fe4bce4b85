// Backend redirects, followed as KrakenD's Go HTTP client follows them: 301, 302 and 303 repeat the call as a
// GET without its body (a HEAD stays a HEAD), 307 and 308 repeat it with its method and body; a relative
// Location resolves against the URL called; the tenth redirect fails the call. A call to another host loses
// its credentials (Authorization, cookies, as Go drops them) and the identity headers the gateway writes.
import { isRedirect } from "../http1/client.ts";
import { defaultIdentityHeaders, HeaderLines } from "./forward.ts";
import { headerOf, type UpstreamAnswer, type UpstreamCall } from "./upstream.call.ts";

/** Go's client gives up when the tenth redirect arrives. */
export const MAX_REDIRECTS = 10;

/** A call that followed redirects: how many so far. */
interface RedirectedCall extends UpstreamCall {
  redirects: number;
}

/** The redirect was not followed: too many, or a Location that is no http(s) URL. */
export class RedirectError extends Error {
  override readonly name = "UpstreamNetworkError";
}

/** Headers that stay with the host they were meant for. */
const credentials = new Set(["authorization", "www-authenticate", "cookie", "cookie2", ...defaultIdentityHeaders]);
/** Headers that describe a body that is no longer sent. */
const bodyHeaders = new Set(["content-type", "content-encoding", "content-language", "content-location"]);

/** Go's rule: credentials go on to the same host or one of its subdomains. */
function sameSite(from: URL, to: URL): boolean {
  const a = from.hostname;
  const b = to.hostname;
  return a === b || (b.endsWith(`.${a}`) && !/^[\d.]+$|:/.test(a));
}

function without(headers: HeaderLines, drop: (name: string) => boolean): HeaderLines {
  let lines = "";
  const t = headers.lines;
  for (let at = 0; at < t.length; ) {
    const colon = t.indexOf(":", at);
    const end = t.indexOf("\r\n", colon) + 2;
    if (!drop(t.slice(at, colon))) lines += t.slice(at, end);
    at = end;
  }
  return lines.length === t.length ? headers : new HeaderLines(lines, headers.ascii);
}

/**
 * The call that follows `answer` when it is a redirect of `call` to follow; null when it is to be used as it
 * is (another status, no Location, a streamed body that cannot be sent again). Throws `RedirectError` at the
 * tenth redirect or for a Location that is not http(s).
 */
export function redirectedCall(call: UpstreamCall, answer: UpstreamAnswer): UpstreamCall | null {
  const status = answer.status;
  if (!isRedirect(status)) return null;
  const location = headerOf(answer.headers, "location");
  if (location === null || location === "") return null;
  const keepBody = status === 307 || status === 308;
  if (keepBody && call.body instanceof ReadableStream) return null;
  const followed = (call as Partial<RedirectedCall>).redirects ?? 0;
  if (followed + 1 >= MAX_REDIRECTS) throw new RedirectError(`stopped after ${MAX_REDIRECTS} redirects`);
  const from = new URL(call.path, call.origin);
  let to: URL;
  try {
    to = new URL(location, from);
  } catch {
    throw new RedirectError("the backend redirected to an invalid URL");
  }
  if (to.protocol !== "http:" && to.protocol !== "https:") {
    throw new RedirectError(`the backend redirected to an unsupported scheme ${to.protocol}`);
  }
  const method = keepBody || call.method === "GET" || call.method === "HEAD" ? call.method : "GET";
  const cross = !sameSite(from, to);
  const headers =
    keepBody && !cross
      ? call.headers
      : without(call.headers, (name) => (cross && credentials.has(name)) || (!keepBody && bodyHeaders.has(name)));
  const next: RedirectedCall = {
    ...call,
    origin: to.origin,
    path: to.pathname + to.search,
    method,
    headers,
    body: keepBody ? call.body : null,
    redirects: followed + 1,
  };
  return next;
}
