// Zero-trust forwarding: what of a client request may reach a backend. Headers and query parameters
// pass only when allow-listed; forwarding headers are written by the gateway; identity headers come only
// from a verified token, never from the client.

/** Headers that describe one hop and never travel further. */
const hopByHop = new Set([
  "connection",
  "keep-alive",
  "proxy-authenticate",
  "proxy-authorization",
  "proxy-connection",
  "te",
  "trailer",
  "transfer-encoding",
  "upgrade",
  "host",
  "content-length",
]);

/** Headers the gateway itself sets on the way to a backend; client copies are dropped. */
const gatewayOwned = new Set([
  "x-forwarded-for",
  "x-forwarded-host",
  "x-forwarded-proto",
  "forwarded",
  "x-request-id",
  "traceparent",
  "tracestate",
]);

/** Identity headers every backend trusts; always dropped from client input. */
export const defaultIdentityHeaders = ["x-user-id", "x-user-roles"];

/** An allow-list compiled from `input_headers` / `input_query_strings`: `"*"` allows all. */
export type AllowList = { all: true } | { all: false; names: Set<string> };

/** Compiles an allow-list; header names are compared case-insensitively. */
export function compileAllowList(list: string[] | undefined, defaults: string[], lowerCase: boolean): AllowList {
  const source = list ?? defaults;
  if (source.includes("*")) return { all: true };
  return { all: false, names: new Set(source.map((n) => (lowerCase ? n.toLowerCase() : n))) };
}

/** What the gateway adds to every backend request. */
export interface ForwardContext {
  clientIp: string;
  host: string | null;
  requestId: string;
  traceparent: string;
  /** Headers derived from verified claims (`propagate_claims`); these win over anything else. */
  identity: Record<string, string> | null;
}

/**
 * The headers a backend receives: allow-listed client headers minus hop-by-hop, gateway-owned and
 * identity headers, plus X-Forwarded-*, the request id, the trace context and verified identity.
 */
export function backendHeaders(
  incoming: { get(name: string): string | null; readonly pairs: readonly string[] },
  allow: AllowList,
  identity: ReadonlySet<string>,
  ctx: ForwardContext,
): Record<string, string> {
  const out: Record<string, string> = {};
  if (allow.all) {
    const pairs = incoming.pairs;
    for (let i = 0; i < pairs.length; i += 2) {
      const name = pairs[i]!;
      if (hopByHop.has(name) || gatewayOwned.has(name) || identity.has(name)) continue;
      const value = pairs[i + 1]!;
      const prior = out[name];
      out[name] = prior === undefined ? value : `${prior}${name === "cookie" ? "; " : ", "}${value}`;
    }
  } else {
    for (const name of allow.names) {
      if (hopByHop.has(name) || gatewayOwned.has(name) || identity.has(name)) continue;
      const value = incoming.get(name);
      if (value !== null) out[name] = value;
    }
  }
  out["x-forwarded-for"] = ctx.clientIp;
  if (ctx.host) out["x-forwarded-host"] = ctx.host;
  out["x-request-id"] = ctx.requestId;
  out.traceparent = ctx.traceparent;
  if (ctx.identity) for (const [k, v] of Object.entries(ctx.identity)) out[k.toLowerCase()] = v;
  return out;
}

/** Keeps only allow-listed parameters of a raw query string (without `?`), preserving their encoding. */
export function filterQuery(raw: string, allow: AllowList): string {
  if (raw === "") return "";
  if (allow.all) return raw;
  if (allow.names.size === 0) return "";
  let out = "";
  for (const pair of raw.split("&")) {
    if (pair === "") continue;
    const eq = pair.indexOf("=");
    const rawKey = eq === -1 ? pair : pair.slice(0, eq);
    let key: string;
    try {
      key = decodeURIComponent(rawKey.replaceAll("+", " "));
    } catch {
      continue;
    }
    if (!allow.names.has(key)) continue;
    out += out ? `&${pair}` : pair;
  }
  return out;
}
