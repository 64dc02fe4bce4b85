// Zero-trust forwarding: what of a client request may reach a backend. Headers and query parameters
// pass only when allow-listed; forwarding headers are written by the gateway; identity headers come only
// from a verified token, never from the client.

import { isAscii } from "../http1/fields.ts";

/** Headers that describe one hop and never travel further. */
export const hopByHop = new Set([
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
  /** The client's `tracestate`, forwarded with its trace; null when there is none to forward. */
  tracestate: string | null;
  /** Headers derived from verified claims (`propagate_claims`), names lower-case header tokens, none of them
   * hop-by-hop (`EndpointRuntime.claimHeaders` makes sure); these win over anything else. */
  identity: Record<string, string> | null;
}

/**
 * The headers of one backend request, rendered once as `name: value\r\n` lines (names lower-case tokens,
 * values without CR, LF or NUL, characters all bytes) that the HTTP/1.1 client writes as they are; `record`
 * gives them as an object for clients that need one (fetch).
 */
export class HeaderLines {
  private rec: Record<string, string> | null = null;

  constructor(
    readonly lines: string,
    /** Every character is ASCII (else the lines are written as latin1 bytes). */
    readonly ascii: boolean,
  ) {}

  /** The same headers as an object. */
  get record(): Record<string, string> {
    if (this.rec !== null) return this.rec;
    const out: Record<string, string> = {};
    const t = this.lines;
    for (let at = 0; at < t.length; ) {
      const colon = t.indexOf(":", at);
      const end = t.indexOf("\r\n", colon);
      out[t.slice(at, colon)] = t.slice(colon + 2, end);
      at = end + 2;
    }
    this.rec = out;
    return out;
  }

  /** The value of header `name` (any case), or null: a request view for the cache's `Vary` rules. */
  get(name: string): string | null {
    return this.record[name.toLowerCase()] ?? null;
  }

  /** Whether header `name` (any case) is there. */
  has(name: string): boolean {
    return this.record[name.toLowerCase()] !== undefined;
  }

  /** These headers with `extra` set (replacing any of the same name, case-insensitively). */
  with(extra: Record<string, string>): HeaderLines {
    const names = new Set(Object.keys(extra).map((k) => k.toLowerCase()));
    let lines = "";
    const t = this.lines;
    for (let at = 0; at < t.length; ) {
      const colon = t.indexOf(":", at);
      const end = t.indexOf("\r\n", colon) + 2;
      if (!names.has(t.slice(at, colon))) lines += t.slice(at, end);
      at = end;
    }
    let ascii = this.ascii;
    for (const k in extra) {
      const value = byteString(extra[k]!);
      ascii &&= isAscii(value);
      lines += `${k.toLowerCase()}: ${value}\r\n`;
    }
    return new HeaderLines(lines, ascii);
  }
}

/** A value made of bytes: characters above 255 (from claims) are sent as their UTF-8 bytes; CR, LF and NUL,
 * which no source here lets through, would be dropped. */
function byteString(value: string): string {
  let plain = true;
  for (let i = 0; i < value.length; i++) {
    const c = value.charCodeAt(i);
    if (c > 255 || c === 10 || c === 13 || c === 0) {
      plain = false;
      break;
    }
  }
  if (plain) return value;
  return Buffer.from(value.replace(/[\r\n\0]/g, ""), "utf8").toString("latin1");
}

/** The header names a Connection header lists (RFC 9110 7.6.1: they belong to this hop only), lower-case;
 * null when there is none or it names only the usual keep-alive/close. */
export function connectionOptions(value: string | null | undefined): Set<string> | null {
  if (!value) return null;
  const lower = value.toLowerCase();
  if (lower === "keep-alive" || lower === "close") return null;
  const names = new Set<string>();
  for (const part of lower.split(",")) {
    const name = part.trim();
    if (name) names.add(name);
  }
  return names;
}

/**
 * The headers a backend receives: allow-listed client headers minus hop-by-hop, gateway-owned and
 * identity headers, plus X-Forwarded-*, the request id, the trace context and verified identity.
 * Client names and values come from the server's parser (tokens; no CR, LF or NUL; bytes), so they are
 * written as received.
 */
export function backendHeaders(
  incoming: { get(name: string): string | null; readonly pairs: readonly string[] },
  allow: AllowList,
  identity: ReadonlySet<string>,
  ctx: ForwardContext,
): HeaderLines {
  let lines = "";
  let ascii = true;
  const nominated = connectionOptions(incoming.get("connection"));
  if (allow.all) {
    const out: Record<string, string> = {};
    const pairs = incoming.pairs;
    for (let i = 0; i < pairs.length; i += 2) {
      const name = pairs[i]!;
      if (hopByHop.has(name) || gatewayOwned.has(name) || identity.has(name)) continue;
      if (nominated?.has(name)) continue;
      const value = pairs[i + 1]!;
      const prior = out[name];
      out[name] = prior === undefined ? value : `${prior}${name === "cookie" ? "; " : ", "}${value}`;
    }
    for (const name in out) {
      ascii &&= isAscii(out[name]!);
      lines += `${name}: ${out[name]}\r\n`;
    }
  } else {
    for (const name of allow.names) {
      if (hopByHop.has(name) || gatewayOwned.has(name) || identity.has(name)) continue;
      if (nominated?.has(name)) continue;
      const value = incoming.get(name);
      if (value === null) continue;
      ascii &&= isAscii(value);
      lines += `${name}: ${value}\r\n`;
    }
  }
  const claimed = ctx.identity;
  // identity headers win: a gateway-owned name a config propagates a claim to is written once, from the claim
  if (claimed === null || claimed["x-forwarded-for"] === undefined) lines += `x-forwarded-for: ${ctx.clientIp}\r\n`;
  if (ctx.host && (claimed === null || claimed["x-forwarded-host"] === undefined)) {
    ascii &&= isAscii(ctx.host);
    lines += `x-forwarded-host: ${ctx.host}\r\n`;
  }
  if (claimed === null || claimed["x-request-id"] === undefined) lines += `x-request-id: ${ctx.requestId}\r\n`;
  if (claimed === null || claimed.traceparent === undefined) lines += `traceparent: ${ctx.traceparent}\r\n`;
  if (ctx.tracestate !== null && (claimed === null || claimed.tracestate === undefined)) {
    ascii &&= isAscii(ctx.tracestate);
    lines += `tracestate: ${ctx.tracestate}\r\n`;
  }
  if (claimed !== null) {
    for (const name in claimed) {
      const value = byteString(claimed[name]!);
      ascii &&= isAscii(value);
      lines += `${name}: ${value}\r\n`;
    }
  }
  return new HeaderLines(lines, ascii);
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
