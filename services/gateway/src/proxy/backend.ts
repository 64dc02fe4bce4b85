// One backend of an endpoint: builds its URL from the pattern, reads request bodies under a limit and
// turns a backend answer into data, or a failure KrakenD would report.

import type { FastBuffer } from "../http1/fields.ts";
import type { Data } from "../shaping/data.ts";
import { DecodeError, decodeBody } from "../shaping/encoding.ts";
import { decodedBody, headerOf, type UpstreamAnswer, UpstreamTooLargeError } from "./upstream.ts";

/** Why a backend call did not produce data. */
export type FailureKind = "status" | "timeout" | "network" | "decode" | "too_large" | "circuit_open";

/** A failed backend call, with the backend's status and body when it answered. */
export interface BackendFailure {
  kind: FailureKind;
  status?: number;
  body?: string;
  /** The backend's Content-Type for `body`, when it sent one. */
  contentType?: string;
}

/** One piece of a compiled `url_pattern`. */
type UrlPart =
  | { t: "lit"; v: string }
  | { t: "param"; i: number }
  | { t: "resp"; n: number; path: string[] }
  | { t: "jwt"; path: string[] };

/** A `url_pattern` compiled against the endpoint's parameter names. */
export interface UrlTemplate {
  parts: UrlPart[];
  hasQuery: boolean;
  /** The path a wildcard endpoint appends its rest to (pattern ending in `/*` or plain). */
  wildcard: boolean;
}

/** Compiles `/users/{id}?x={resp0_a.b}` once per config. */
export function compileUrl(pattern: string, params: string[]): UrlTemplate {
  const wildcard = pattern.endsWith("/*");
  const source = wildcard ? pattern.slice(0, -2) : pattern;
  const parts: UrlPart[] = [];
  let last = 0;
  for (const m of source.matchAll(/\{([^{}]+)\}/g)) {
    if (m.index > last) parts.push({ t: "lit", v: source.slice(last, m.index) });
    const name = m[1]!;
    const resp = /^resp(\d+)_(.+)$/.exec(name);
    if (resp) parts.push({ t: "resp", n: Number(resp[1]), path: resp[2]!.split(".") });
    else if (name.startsWith("JWT.")) parts.push({ t: "jwt", path: name.slice(4).split(".") });
    else parts.push({ t: "param", i: params.indexOf(name) });
    last = m.index + m[0].length;
  }
  if (last < source.length) parts.push({ t: "lit", v: source.slice(last) });
  return { parts, hasQuery: source.includes("?"), wildcard };
}

function dig(value: unknown, path: string[]): unknown {
  let cur = value;
  for (const p of path) {
    if (typeof cur !== "object" || cur === null) return undefined;
    cur = (cur as Record<string, unknown>)[p];
  }
  return cur;
}

/** A value placed into a URL: encoded; arrays become comma-separated lists (`ids=1,2,3`). */
function urlValue(v: unknown): string {
  if (v === undefined || v === null) return "";
  if (Array.isArray(v))
    return v.map((x) => encodeURIComponent(typeof x === "object" ? JSON.stringify(x) : String(x))).join(",");
  return encodeURIComponent(typeof v === "object" ? JSON.stringify(v) : String(v));
}

/** What a URL may be filled with. */
export interface UrlInputs {
  params: string[];
  rest: string | null;
  responses: (Data | undefined)[];
  claims: Record<string, unknown> | null;
}

/** Fills a compiled template; path parameters are inserted raw (still percent-encoded by the client). */
export function fillUrl(tpl: UrlTemplate, inputs: UrlInputs, query: string): string {
  let out = "";
  for (const part of tpl.parts) {
    if (part.t === "lit") out += part.v;
    else if (part.t === "param") out += inputs.params[part.i] ?? "";
    else if (part.t === "resp") out += urlValue(dig(inputs.responses[part.n], part.path));
    else out += urlValue(inputs.claims ? dig(inputs.claims, part.path) : undefined);
  }
  if (inputs.rest !== null) out += (out.endsWith("/") ? "" : "/") + inputs.rest;
  if (query) out += (tpl.hasQuery ? "&" : "?") + query;
  return out;
}

const decoder = new TextDecoder();

const hasBom = (b: Uint8Array) => b.length >= 3 && b[0] === 0xef && b[1] === 0xbb && b[2] === 0xbf;
const empty = new Uint8Array(0);

/** Turns a buffered backend answer into data, or a failure, per the backend's encoding and limits. */
export function toData(
  answer: UpstreamAnswer,
  opts: { encoding: "json" | "safejson" | "string"; isCollection: boolean; maxBytes: number },
): { ok: true; data: Data } | { ok: false; failure: BackendFailure } {
  const raw = answer.body instanceof Uint8Array ? answer.body : empty;
  let bytes: Uint8Array;
  try {
    bytes = decodedBody(raw, answer.contentEncoding, opts.maxBytes);
  } catch (err) {
    if (err instanceof UpstreamTooLargeError)
      return { ok: false, failure: { kind: "too_large", status: answer.status } };
    return { ok: false, failure: { kind: "decode", status: answer.status } };
  }
  // a Buffer (the HTTP/1.1 client's bodies) decodes without TextDecoder's per-call setup; like
  // TextDecoder, a leading byte order mark is dropped
  const text = Buffer.isBuffer(bytes)
    ? (bytes as FastBuffer).utf8Slice(hasBom(bytes) ? 3 : 0, bytes.length)
    : decoder.decode(bytes);
  if (answer.status < 200 || answer.status >= 300) {
    return {
      ok: false,
      failure: {
        kind: "status",
        status: answer.status,
        body: text,
        contentType: headerOf(answer.headers, "content-type") ?? undefined,
      },
    };
  }
  try {
    return { ok: true, data: decodeBody(text, opts.encoding, opts.isCollection) };
  } catch (err) {
    if (err instanceof DecodeError) return { ok: false, failure: { kind: "decode", status: answer.status } };
    throw err;
  }
}

/** Response headers that describe one hop and never reach the client. */
export const hopByHopResponse = new Set([
  "connection",
  "keep-alive",
  "proxy-connection",
  "te",
  "trailer",
  "transfer-encoding",
  "upgrade",
]);

/** Classifies a thrown upstream error. */
export function failureOf(err: unknown): BackendFailure {
  const name = (err as { name?: string })?.name;
  if (err instanceof UpstreamTooLargeError) return { kind: "too_large" };
  return { kind: name === "TimeoutError" || name === "AbortError" ? "timeout" : "network" };
}
