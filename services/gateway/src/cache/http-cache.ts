import { z } from "zod";
import { parseNamespace } from "../config/namespace.ts";
import { Lru } from "./lru.ts";

const httpCacheSchema = z.strictObject({
  // KrakenD shares one cache between backends when true; here each backend gets its own instance anyway
  shared: z.boolean().default(false),
  max_items: z.number().int().positive().default(10_000),
  max_size: z
    .number()
    .int()
    .positive()
    .default(64 * 1024 * 1024),
});

/** The parsed `qos/http-cache` namespace. */
export type HttpCacheConfig = z.output<typeof httpCacheSchema>;

/** A stored backend answer; `headers` have lower-case names and no hop-by-hop or length/encoding fields. */
export interface CachedResponse {
  status: number;
  headers: Record<string, string>;
  body: Uint8Array<ArrayBuffer>;
}

/** What `lookup` found: a fresh answer, a stale one to revalidate with the given headers, or nothing. */
export type CacheLookup =
  | { kind: "hit"; response: CachedResponse; age: number }
  | { kind: "stale"; response: CachedResponse; revalidate: Record<string, string> }
  | { kind: "miss" };

/** Counters for `/metrics`. */
export interface HttpCacheStats {
  hits: number;
  misses: number;
  stale: number;
  revalidated: number;
  stores: number;
  evictions: number;
  purges: number;
  items: number;
  bytes: number;
}

type RequestLike = { method: string; headers: { get(name: string): string | null; has(name: string): boolean } };
type ResponseLike = {
  status: number;
  headers: Headers | Record<string, string>;
  body: Uint8Array | ArrayBuffer | string;
};

/** The request has the header values an entry was stored with (a loop: a hit allocates nothing here). */
function varyMatches(vary: Array<[string, string]>, req: RequestLike): boolean {
  for (let i = 0; i < vary.length; i++) {
    const [name, value] = vary[i]!;
    if ((req.headers.get(name) ?? "") !== value) return false;
  }
  return true;
}

interface Entry {
  /** The backend URL; the entry's key adds the values of the request headers it varies on. */
  url: string;
  response: CachedResponse;
  storedAt: number;
  /** Age the backend reported when we stored it, in seconds. */
  initialAge: number;
  freshUntil: number;
  vary: Array<[string, string]>;
  size: number;
}

const cacheableStatus = new Set([200, 203, 204, 300, 301, 404, 410]);
const unsafeMethods = new Set(["POST", "PUT", "PATCH", "DELETE"]);
const dropped = new Set([
  "connection",
  "keep-alive",
  "proxy-connection",
  "transfer-encoding",
  "upgrade",
  "te",
  "trailer",
  "content-length",
  "content-encoding",
]);

function directives(header: string | undefined): Map<string, string | true> {
  const out = new Map<string, string | true>();
  if (!header) return out;
  for (const part of header.split(",")) {
    const eq = part.indexOf("=");
    const name = (eq < 0 ? part : part.slice(0, eq)).trim().toLowerCase();
    if (!name) continue;
    out.set(
      name,
      eq < 0
        ? true
        : part
            .slice(eq + 1)
            .trim()
            .replace(/^"|"$/g, ""),
    );
  }
  return out;
}

function seconds(value: string | true | undefined): number | undefined {
  if (typeof value !== "string" || !/^\d+$/.test(value)) return undefined;
  return Number(value);
}

function lowerHeaders(h: Headers | Record<string, string>): Record<string, string> {
  const out: Record<string, string> = {};
  const put = (k: string, v: string) => {
    const key = k.toLowerCase();
    if (!dropped.has(key)) out[key] = v;
  };
  if (h instanceof Headers) for (const [k, v] of h) put(k, v);
  else for (const [k, v] of Object.entries(h)) put(k, v);
  return out;
}

/** Freshness lifetime in ms as a shared cache sees it (s-maxage, max-age, then Expires - Date). */
function lifetimeMs(headers: Record<string, string>, cc: Map<string, string | true>): number {
  const shared = seconds(cc.get("s-maxage"));
  if (shared !== undefined) return shared * 1000;
  const maxAge = seconds(cc.get("max-age"));
  if (maxAge !== undefined) return maxAge * 1000;
  if (headers.expires) {
    const expires = Date.parse(headers.expires);
    const date = headers.date ? Date.parse(headers.date) : Date.now();
    if (Number.isFinite(expires) && Number.isFinite(date)) return Math.max(0, expires - date);
    return 0; // an invalid Expires means "already expired"
  }
  return 0;
}

const toBytes = (body: ResponseLike["body"]): Uint8Array<ArrayBuffer> => {
  if (typeof body === "string") return new TextEncoder().encode(body);
  if (body instanceof ArrayBuffer) return new Uint8Array(body);
  // a view over a SharedArrayBuffer (or a slice of a larger buffer) is copied, so the entry owns its bytes
  return body.buffer instanceof ArrayBuffer && body.byteLength === body.buffer.byteLength
    ? (body as Uint8Array<ArrayBuffer>)
    : new Uint8Array(body);
};

/**
 * KrakenD's `qos/http-cache` for one backend: an in-memory cache of GET answers keyed by the backend URL,
 * following the backend's `Cache-Control` as a shared cache must (RFC 9111): `no-store` and `private`
 * answers, `Vary: *`, `Set-Cookie` answers and answers to requests with `Authorization` (unless `public`
 * or `s-maxage`) are not stored; freshness comes from `s-maxage`, `max-age` or `Expires`; `no-cache` or an
 * expired entry with an `ETag`/`Last-Modified` is revalidated (`lookup` answers `stale` with the
 * `If-None-Match`/`If-Modified-Since` headers to send, and `store` of the 304 refreshes the entry and
 * returns it). A successful unsafe request (POST, PUT, PATCH, DELETE) to a URL drops its entry. Bounded by
 * `max_items` and `max_size` bytes, least recently used first.
 * @example
 * const c = createHttpCache({ max_items: 1000 });
 * const found = c.lookup(url, req); if (found.kind === "hit") return toResponse(found.response);
 */
export function createHttpCache(
  raw: unknown,
  deps: { now?: () => number } = {},
): {
  lookup(url: string, req: RequestLike): CacheLookup;
  store(url: string, req: RequestLike, res: ResponseLike): CachedResponse | undefined;
  purge(): void;
  stats(): HttpCacheStats;
  config: HttpCacheConfig;
} {
  const cfg = parseNamespace("qos/http-cache", httpCacheSchema, raw);
  const now = deps.now ?? Date.now;
  const counters = { hits: 0, misses: 0, stale: 0, revalidated: 0, stores: 0, evictions: 0, purges: 0 };
  let bytes = 0;
  // URLs whose answers vary (`Vary`): the header names of the latest answer and the keys of their entries
  const varying = new Map<string, { names: string[]; keys: Set<string> }>();
  const untrack = (key: string, entry: Entry) => {
    const v = varying.get(entry.url);
    if (v?.keys.delete(key) && v.keys.size === 0) varying.delete(entry.url);
  };
  const entries = new Lru<string, Entry>(cfg.max_items, (key, entry) => {
    bytes -= entry.size;
    untrack(key, entry);
    counters.evictions++;
  });
  const keyOf = (url: string, names: readonly string[], req: RequestLike) =>
    names.length === 0 ? url : `${url}\u0000${names.map((n) => req.headers.get(n) ?? "").join("\u0000")}`;
  /** The key `req` reads `url` under, by the header names its latest answer varied on. */
  const currentKey = (url: string, req: RequestLike) => keyOf(url, varying.get(url)?.names ?? [], req);

  const remove = (key: string) => {
    const entry = entries.peek(key);
    if (entry) {
      entries.delete(key);
      bytes -= entry.size;
      untrack(key, entry);
    }
  };
  /** Drops every stored answer for `url`, whatever it varied on. */
  const removeUrl = (url: string) => {
    const v = varying.get(url);
    if (v) for (const key of [...v.keys]) remove(key);
    remove(url);
  };

  const lookup = (url: string, req: RequestLike): CacheLookup => {
    if (req.method !== "GET" && req.method !== "HEAD") return { kind: "miss" };
    const key = currentKey(url, req);
    const entry = entries.get(key);
    if (entry === undefined || !varyMatches(entry.vary, req)) {
      counters.misses++;
      return { kind: "miss" };
    }
    const t = now();
    if (t < entry.freshUntil) {
      counters.hits++;
      return { kind: "hit", response: entry.response, age: entry.initialAge + Math.floor((t - entry.storedAt) / 1000) };
    }
    const { etag, "last-modified": lastModified } = entry.response.headers;
    if (!etag && !lastModified) {
      remove(key);
      counters.misses++;
      return { kind: "miss" };
    }
    counters.stale++;
    const revalidate: Record<string, string> = {};
    if (etag) revalidate["If-None-Match"] = etag;
    if (lastModified) revalidate["If-Modified-Since"] = lastModified;
    return { kind: "stale", response: entry.response, revalidate };
  };

  const refresh = (key: string, res: ResponseLike): CachedResponse | undefined => {
    const entry = entries.peek(key);
    if (!entry) return undefined;
    const merged = { ...entry.response.headers, ...lowerHeaders(res.headers) };
    delete merged.age;
    const cc = directives(merged["cache-control"]);
    if (cc.has("no-store") || cc.has("private")) {
      remove(key);
      return entry.response;
    }
    const t = now();
    entry.response = { ...entry.response, headers: merged };
    entry.storedAt = t;
    entry.initialAge = 0;
    entry.freshUntil = cc.has("no-cache") ? t : t + lifetimeMs(merged, cc);
    entries.get(key);
    counters.revalidated++;
    return entry.response;
  };

  const store = (url: string, req: RequestLike, res: ResponseLike): CachedResponse | undefined => {
    if (unsafeMethods.has(req.method)) {
      if (res.status < 400) removeUrl(url);
      return undefined;
    }
    if (req.method !== "GET") return undefined;
    if (res.status === 304) return refresh(currentKey(url, req), res);
    if (!cacheableStatus.has(res.status)) return undefined;
    const headers = lowerHeaders(res.headers);
    const initialAge = seconds(headers.age) ?? 0;
    delete headers.age;
    const cc = directives(headers["cache-control"]);
    if (cc.has("no-store") || cc.has("private")) return undefined;
    if (headers["set-cookie"] !== undefined) return undefined;
    if (req.headers.has("authorization") && !cc.has("public") && !cc.has("s-maxage")) return undefined;
    const varyNames = (headers.vary ?? "")
      .split(",")
      .map((v) => v.trim().toLowerCase())
      .filter(Boolean);
    if (varyNames.includes("*")) return undefined;
    const lifetime = cc.has("no-cache") ? 0 : lifetimeMs(headers, cc);
    if (lifetime - initialAge * 1000 <= 0 && !headers.etag && !headers["last-modified"]) return undefined;

    const body = toBytes(res.body);
    let size = body.byteLength + url.length + 64;
    for (const k in headers) size += k.length + headers[k]!.length;
    if (size > cfg.max_size) return undefined;

    const t = now();
    const response: CachedResponse = { status: res.status, headers, body };
    const key = keyOf(url, varyNames, req);
    // an answer that stopped varying replaces all its variants
    if (varyNames.length === 0) removeUrl(url);
    else {
      remove(key);
      let v = varying.get(url);
      if (v === undefined) {
        v = { names: varyNames, keys: new Set() };
        varying.set(url, v);
      }
      v.names = varyNames;
      v.keys.add(key);
    }
    entries.set(key, {
      url,
      response,
      storedAt: t,
      initialAge,
      freshUntil: t + lifetime - initialAge * 1000,
      vary: varyNames.map((name) => [name, req.headers.get(name) ?? ""]),
      size,
    });
    bytes += size;
    while (bytes > cfg.max_size && entries.evictOldest()) {}
    counters.stores++;
    return response;
  };

  return {
    lookup,
    store,
    purge() {
      entries.clear();
      varying.clear();
      bytes = 0;
      counters.purges++;
    },
    stats: () => ({ ...counters, items: entries.size, bytes }),
    config: cfg,
  };
}
