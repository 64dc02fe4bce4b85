import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { createHttpCache } from "./http-cache.ts";

const get = (headers: Record<string, string> = {}) => ({ method: "GET", headers: new Headers(headers) });
const ok = (headers: Record<string, string>, body = "{}") => ({ status: 200, headers, body });

describe("qos/http-cache", () => {
  test("a GET answer with max-age is served from memory until it expires", () => {
    let clock = 0;
    const cache = createHttpCache({}, { now: () => clock });
    const url = "http://catalog/products?page=1";
    expect(cache.lookup(url, get()).kind).toBe("miss");
    cache.store(url, get(), ok({ "Cache-Control": "max-age=10", "Content-Type": "application/json" }, '{"a":1}'));
    clock += 4000;
    const hit = cache.lookup(url, get());
    expect(hit).toMatchObject({ kind: "hit", age: 4, response: { status: 200 } });
    if (hit.kind === "hit") {
      expect(new TextDecoder().decode(hit.response.body)).toBe('{"a":1}');
      expect(hit.response.headers["content-type"]).toBe("application/json");
    }
    clock += 6000;
    expect(cache.lookup(url, get()).kind).toBe("miss");
    expect(cache.stats()).toMatchObject({ hits: 1, misses: 2, stores: 1, items: 0 });
  });

  test("the Age the backend reports shortens the freshness", () => {
    let clock = 0;
    const cache = createHttpCache({}, { now: () => clock });
    cache.store("u", get(), ok({ "cache-control": "max-age=10", age: "8" }));
    clock += 1000;
    expect(cache.lookup("u", get())).toMatchObject({ kind: "hit", age: 9 });
    clock += 1500;
    expect(cache.lookup("u", get()).kind).toBe("miss");
  });

  test("answers marked no-store or private, or without freshness or validator, are not stored", () => {
    const cache = createHttpCache({});
    expect(cache.store("a", get(), ok({ "cache-control": "no-store, max-age=60" }))).toBeUndefined();
    expect(cache.store("b", get(), ok({ "cache-control": "private, max-age=60" }))).toBeUndefined();
    expect(cache.store("c", get(), ok({}))).toBeUndefined();
    expect(cache.store("d", get(), ok({ "cache-control": "max-age=60", vary: "*" }))).toBeUndefined();
    expect(cache.store("e", get(), ok({ "cache-control": "max-age=60", "set-cookie": "s=1" }))).toBeUndefined();
    expect(cache.store("f", get({ authorization: "Bearer x" }), ok({ "cache-control": "max-age=60" }))).toBeUndefined();
    expect(cache.store("g", get(), { status: 500, headers: { "cache-control": "max-age=60" }, body: "" })).toBe(
      undefined,
    );
    for (const u of ["a", "b", "c", "d", "e", "f", "g"]) expect(cache.lookup(u, get()).kind).toBe("miss");
    expect(cache.stats().items).toBe(0);
  });

  test("answers to POST are never stored, and a successful POST drops the cached GET of that URL", () => {
    const cache = createHttpCache({});
    cache.store("u", get(), ok({ "cache-control": "max-age=60" }));
    expect(cache.store("u", { method: "POST", headers: new Headers() }, ok({ "cache-control": "max-age=60" }))).toBe(
      undefined,
    );
    expect(cache.lookup("u", get()).kind).toBe("miss");
  });

  test("Vary keeps answers for different request header values apart", () => {
    const cache = createHttpCache({});
    cache.store("u", get({ "accept-language": "en" }), ok({ "cache-control": "max-age=60", vary: "Accept-Language" }));
    expect(cache.lookup("u", get({ "accept-language": "en" })).kind).toBe("hit");
    expect(cache.lookup("u", get({ "accept-language": "de" })).kind).toBe("miss");
  });

  test("each variant of a varying URL is kept side by side; a POST or an answer that stops varying drops them all", () => {
    const cache = createHttpCache({});
    const varies = ok({ "cache-control": "max-age=60", vary: "X-User-Roles" });
    const as = (roles: string) => get({ "x-user-roles": roles });
    cache.store("u", as("user"), { ...varies, body: "user" });
    cache.store("u", as("admin"), { ...varies, body: "admin" });
    const bodyOf = (roles: string) => {
      const found = cache.lookup("u", as(roles));
      return found.kind === "hit" ? new TextDecoder().decode(found.response.body) : found.kind;
    };
    expect([bodyOf("user"), bodyOf("admin"), bodyOf("guest")]).toEqual(["user", "admin", "miss"]);
    expect(cache.stats().items).toBe(2);

    cache.store("u", { method: "POST", headers: new Headers() }, { status: 204, headers: {}, body: "" });
    expect([bodyOf("user"), bodyOf("admin")]).toEqual(["miss", "miss"]);
    expect(cache.stats().items).toBe(0);

    cache.store("u", as("user"), { ...varies, body: "user" });
    cache.store("u", as("admin"), { ...ok({ "cache-control": "max-age=60" }), body: "same for all" });
    expect([bodyOf("user"), bodyOf("admin")]).toEqual(["same for all", "same for all"]);
    expect(cache.stats().items).toBe(1);
  });

  test("max_items evicts the least recently used entry", () => {
    const cache = createHttpCache({ max_items: 2 });
    const fresh = ok({ "cache-control": "max-age=60" });
    cache.store("a", get(), fresh);
    cache.store("b", get(), fresh);
    cache.lookup("a", get());
    cache.store("c", get(), fresh);
    expect(cache.lookup("a", get()).kind).toBe("hit");
    expect(cache.lookup("b", get()).kind).toBe("miss");
    expect(cache.lookup("c", get()).kind).toBe("hit");
    expect(cache.stats()).toMatchObject({ items: 2, evictions: 1 });
  });

  test("max_size in bytes evicts old entries and refuses an entry bigger than the whole cache", () => {
    const cache = createHttpCache({ max_size: 4096 });
    const body = "x".repeat(1500);
    for (const u of ["a", "b", "c"]) cache.store(u, get(), ok({ "cache-control": "max-age=60" }, body));
    const stats = cache.stats();
    expect(stats.items).toBe(2);
    expect(stats.bytes).toBeLessThanOrEqual(4096);
    expect(cache.lookup("a", get()).kind).toBe("miss");
    expect(cache.store("big", get(), ok({ "cache-control": "max-age=60" }, "y".repeat(5000)))).toBeUndefined();
    expect(cache.stats().items).toBe(2);
  });

  test("purge empties the cache", () => {
    const cache = createHttpCache({});
    cache.store("a", get(), ok({ "cache-control": "max-age=60" }));
    cache.purge();
    expect(cache.lookup("a", get()).kind).toBe("miss");
    expect(cache.stats()).toMatchObject({ items: 0, bytes: 0, purges: 1 });
  });

  test("an invalid config names the offending field", () => {
    expect(() => createHttpCache({ max_items: -1 })).toThrow(/qos\/http-cache\.max_items/);
    expect(() => createHttpCache({ ttl: 5 })).toThrow(/ttl/);
  });
});

describe("qos/http-cache revalidation against a real backend", () => {
  let backend: ReturnType<typeof Bun.serve>;
  let version = 1;
  let fullAnswers = 0;
  let notModified = 0;

  beforeAll(() => {
    backend = Bun.serve({
      port: 0,
      hostname: "127.0.0.1",
      fetch(req) {
        const etag = `"v${version}"`;
        if (req.headers.get("if-none-match") === etag) {
          notModified++;
          return new Response(null, { status: 304, headers: { etag, "cache-control": "max-age=1" } });
        }
        fullAnswers++;
        return Response.json({ version }, { headers: { etag, "cache-control": "max-age=1" } });
      },
    });
  });
  afterAll(() => backend.stop(true));

  /** What the gateway does around a backend call: lookup, conditional fetch, store. */
  async function cachedGet(cache: ReturnType<typeof createHttpCache>, url: string) {
    const req = get();
    const found = cache.lookup(url, req);
    if (found.kind === "hit") return { from: "cache", body: new TextDecoder().decode(found.response.body) };
    const res = await fetch(url, { headers: found.kind === "stale" ? found.revalidate : {} });
    const stored = cache.store(url, req, { status: res.status, headers: res.headers, body: await res.bytes() });
    const body = stored ? new TextDecoder().decode(stored.body) : "";
    return { from: res.status === 304 ? "revalidated" : "backend", body };
  }

  test("a stale entry is revalidated with If-None-Match, a 304 refreshes it, a new ETag replaces it", async () => {
    let clock = 0;
    const cache = createHttpCache({}, { now: () => clock });
    const url = `http://127.0.0.1:${backend.port}/products`;
    expect(await cachedGet(cache, url)).toEqual({ from: "backend", body: '{"version":1}' });
    expect(await cachedGet(cache, url)).toEqual({ from: "cache", body: '{"version":1}' });
    clock += 1500;
    expect(await cachedGet(cache, url)).toEqual({ from: "revalidated", body: '{"version":1}' });
    expect(notModified).toBe(1);
    expect(await cachedGet(cache, url)).toEqual({ from: "cache", body: '{"version":1}' });
    version = 2;
    clock += 1500;
    expect(await cachedGet(cache, url)).toEqual({ from: "backend", body: '{"version":2}' });
    expect(fullAnswers).toBe(2);
    expect(cache.stats()).toMatchObject({ revalidated: 1, stale: 2 });
  });
});
