import { describe, expect, test } from "bun:test";
import { MemoryIdempotencyStore } from "@shared/idempotency";
import pino from "pino";
import { createApp } from "./catalog.app.ts";
import { makeCatalogEndpoints } from "./catalog.endpoints.ts";
import type { Product } from "./catalog.model.ts";
import { MemoryCatalogRepo } from "./catalog.repo.memory.ts";
import { CatalogService } from "./catalog.service.ts";

const adminId = "0190d9a4-6b1e-7c3a-9f51-2b9d3c4e5f01";
const userId = "0190d9a4-6b1e-7c3a-9f51-2b9d3c4e5fa1";
const admin = { "x-user-id": adminId, "x-user-roles": "admin" };
const user = { "x-user-id": userId, "x-user-roles": "user" };
const adminJson = { ...admin, "content-type": "application/json" };
const unknownId = "0190d9a4-6b1e-7c3a-9f51-2b9d3c4e5fff";

async function makeApp(seed: Partial<Product>[] = []) {
  const repo = new MemoryCatalogRepo();
  const catalog = new CatalogService(repo);
  const app = createApp({
    endpoints: makeCatalogEndpoints(catalog),
    logger: pino({ level: "silent" }),
    version: "9.9.9",
    cache: { listMaxAgeSec: 15, itemMaxAgeSec: 45 },
    idempotency: new MemoryIdempotencyStore(),
  });
  const ids: string[] = [];
  for (const [n, s] of seed.entries()) {
    const p = await catalog.create({ userId: adminId, roles: ["admin"] }, {
      sku: `SKU-${n}`,
      name: `Product ${n}`,
      priceMinor: 100 * (n + 1),
      currency: "EUR",
      stock: 5,
      ...s,
    } as never);
    ids.push(p.id);
  }
  return { app, repo, ids };
}

async function expectProblem(res: Response, status: number, code: string) {
  expect(res.status).toBe(status);
  expect(res.headers.get("content-type")).toBe("application/problem+json");
  const body = (await res.json()) as { code: string };
  expect(body.code).toBe(code);
  return body;
}

const post = (body: unknown, headers: Record<string, string> = adminJson) => ({
  method: "POST",
  headers,
  body: typeof body === "string" ? body : JSON.stringify(body),
});
const patch = (body: unknown, headers: Record<string, string> = adminJson) => ({
  ...post(body, headers),
  method: "PATCH",
});
const chair = { sku: "CHAIR-1", name: "Chair", description: "Wooden", priceMinor: 4900, currency: "EUR", stock: 3 };

describe("reading products over HTTP", () => {
  test("anyone reads an active product, with a strong ETag and a public max-age", async () => {
    const { app, ids } = await makeApp([{}]);
    const res = await app.request(`/products/${ids[0]}`);
    expect(res.status).toBe(200);
    expect(await res.json()).toMatchObject({ id: ids[0], sku: "SKU-0", priceMinor: 100, version: 1 });
    expect(res.headers.get("etag")).toBe('"v1"');
    expect(res.headers.get("cache-control")).toBe("public, max-age=45");
    expect(res.headers.get("vary")).toBe("X-User-Roles");
  });

  test("If-None-Match with the current ETag answers 304 with no body; a stale one gets the product", async () => {
    const { app, ids } = await makeApp([{}]);
    const res = await app.request(`/products/${ids[0]}`, { headers: { "if-none-match": '"v1"' } });
    expect(res.status).toBe(304);
    expect(await res.text()).toBe("");
    expect(res.headers.get("etag")).toBe('"v1"');
    expect(res.headers.get("cache-control")).toBe("public, max-age=45");
    const weak = await app.request(`/products/${ids[0]}`, { headers: { "if-none-match": 'W/"v1", "x"' } });
    expect(weak.status).toBe(304);
    await app.request(`/products/${ids[0]}`, patch({ stock: 1 }));
    const stale = await app.request(`/products/${ids[0]}`, { headers: { "if-none-match": '"v1"' } });
    expect(stale.status).toBe(200);
    expect(stale.headers.get("etag")).toBe('"v2"');
  });

  test("an inactive product is 404 for the public and visible to admins with private, no-store", async () => {
    const { app, ids } = await makeApp([{ active: false }]);
    await expectProblem(await app.request(`/products/${ids[0]}`), 404, "not_found");
    await expectProblem(await app.request(`/products/${ids[0]}`, { headers: user }), 404, "not_found");
    const res = await app.request(`/products/${ids[0]}`, { headers: admin });
    expect(res.status).toBe(200);
    expect(res.headers.get("cache-control")).toBe("private, no-store");
    expect(((await res.json()) as { active: boolean }).active).toBe(false);
  });

  test("an unknown or malformed id answers 404 or 400", async () => {
    const { app } = await makeApp();
    await expectProblem(await app.request(`/products/${unknownId}`), 404, "not_found");
    const bad = await expectProblem(await app.request("/products/42"), 400, "invalid_argument");
    expect(JSON.stringify(bad)).toContain("/params/id");
  });

  test("a public walk through the listing sees every active product exactly once", async () => {
    const seed = Array.from({ length: 23 }, (_, n) => ({ active: n % 5 !== 0 }));
    const { app, ids } = await makeApp(seed);
    const seen: string[] = [];
    let cursor: string | null = null;
    do {
      const q: string = cursor ? `?limit=4&cursor=${cursor}` : "?limit=4";
      const res = await app.request(`/products${q}`);
      expect(res.status).toBe(200);
      expect(res.headers.get("cache-control")).toBe("public, max-age=15");
      const page = (await res.json()) as { items: { id: string }[]; nextCursor: string | null };
      expect(page.items.length).toBeLessThanOrEqual(4);
      seen.push(...page.items.map((p) => p.id));
      cursor = page.nextCursor;
    } while (cursor);
    expect(seen).toEqual(ids.filter((_, n) => n % 5 !== 0));
  });

  test("products created during a walk never make it repeat or skip one that existed before", async () => {
    const { app, ids } = await makeApp(Array.from({ length: 10 }, () => ({})));
    const seen: string[] = [];
    let cursor: string | null = null;
    let n = 0;
    do {
      const q: string = cursor ? `?limit=3&cursor=${cursor}` : "?limit=3";
      const page = (await (await app.request(`/products${q}`)).json()) as {
        items: { id: string }[];
        nextCursor: string | null;
      };
      seen.push(...page.items.map((p) => p.id));
      cursor = page.nextCursor;
      await app.request("/products", post({ ...chair, sku: `NEW-${n++}` }));
    } while (cursor && n < 50);
    expect(new Set(seen).size).toBe(seen.length);
    expect(seen.slice(0, ids.length)).toEqual(ids);
  });

  test("an admin walk sees inactive products too, privately", async () => {
    const { app, ids } = await makeApp([{}, { active: false }, {}]);
    const res = await app.request("/products?limit=100", { headers: admin });
    expect(res.headers.get("cache-control")).toBe("private, no-store");
    expect(((await res.json()) as { items: { id: string }[] }).items.map((p) => p.id)).toEqual(ids);
    const inactive = await app.request("/products?active=false", { headers: admin });
    expect(((await inactive.json()) as { items: { id: string }[] }).items.map((p) => p.id)).toEqual([ids[1]!]);
  });

  test("filters by name or sku, active, price range and currency", async () => {
    const { app, ids } = await makeApp([
      { name: "Red chair", priceMinor: 1000 },
      { name: "Blue table", sku: "TBL-1", priceMinor: 5000 },
      { name: "Red lamp", priceMinor: 2500, currency: "USD" },
      { name: "Red stool", priceMinor: 1500, active: false },
    ]);
    const idsOf = async (q: string, headers: Record<string, string> = {}) => {
      const res = await app.request(`/products?${q}`, { headers });
      expect(res.status).toBe(200);
      return ((await res.json()) as { items: { id: string }[] }).items.map((p) => p.id);
    };
    expect(await idsOf("q=RED")).toEqual([ids[0]!, ids[2]!]);
    expect(await idsOf("q=tbl")).toEqual([ids[1]!]);
    expect(await idsOf("minPrice=1000&maxPrice=2500")).toEqual([ids[0]!, ids[2]!]);
    expect(await idsOf("currency=usd")).toEqual([ids[2]!]);
    expect(await idsOf("q=red&currency=EUR")).toEqual([ids[0]!]);
    expect(await idsOf("q=red&active=true", admin)).toEqual([ids[0]!, ids[2]!]);
    expect(await idsOf("q=red", admin)).toEqual([ids[0]!, ids[2]!, ids[3]!]);
    // The gateway's order view asks for an order's products this way; inactive ones stay hidden.
    expect(await idsOf(`ids=${ids[3]},${ids[1]},${unknownId},${ids[0]!.toUpperCase()}`)).toEqual([ids[0]!, ids[1]!]);
    expect(await idsOf(`ids=${ids[3]},${ids[1]}`, admin)).toEqual([ids[1]!, ids[3]!]);
  });

  test("bad listing parameters answer 400, and inactive listings 403 for non-admins", async () => {
    const { app } = await makeApp([{}]);
    for (const q of [
      "limit=0",
      "limit=101",
      "limit=x",
      "minPrice=-1",
      "maxPrice=1.5",
      "minPrice=10&maxPrice=5",
      "currency=EURO",
      "active=maybe",
      "cursor=bm9wZQ",
      `q=${"x".repeat(101)}`,
      "ids=nope",
      `ids=${unknownId},`,
      `ids=${Array.from({ length: 101 }, () => unknownId).join(",")}`,
    ]) {
      await expectProblem(await app.request(`/products?${q}`), 400, "invalid_argument");
    }
    await expectProblem(await app.request("/products?active=false", { headers: user }), 403, "permission_denied");
  });

  test("a listing's ETag follows its content and If-None-Match answers 304", async () => {
    const { app, ids } = await makeApp([{}, {}]);
    const first = await app.request("/products");
    const etag = first.headers.get("etag")!;
    expect(etag).toMatch(/^"[A-Za-z0-9_-]{27}"$/);
    const again = await app.request("/products", { headers: { "if-none-match": etag } });
    expect(again.status).toBe(304);
    expect(await again.text()).toBe("");
    expect((await app.request("/products?limit=1")).headers.get("etag")).not.toBe(etag);
    await app.request(`/products/${ids[1]}`, patch({ name: "Renamed" }));
    const changed = await app.request("/products", { headers: { "if-none-match": etag } });
    expect(changed.status).toBe(200);
    expect(changed.headers.get("etag")).not.toBe(etag);
  });
});

describe("changing products over HTTP", () => {
  test("an admin creates a product: 201, Location, ETag, no-store", async () => {
    const { app, repo } = await makeApp();
    const res = await app.request("/products", post(chair));
    expect(res.status).toBe(201);
    const body = (await res.json()) as { id: string; version: number };
    expect(body).toMatchObject({ ...chair, active: true, version: 1 });
    expect(res.headers.get("location")).toBe(`/products/${body.id}`);
    expect(res.headers.get("etag")).toBe('"v1"');
    expect(res.headers.get("cache-control")).toBe("no-store");
    expect(await repo.get(body.id)).not.toBeNull();
  });

  test("missing identity is 401 and a non-admin is 403, before the body is even read", async () => {
    const { app, ids, repo } = await makeApp([{}]);
    const before = await repo.list({}, null, 100);
    const asUser = { ...user, "content-type": "application/json" };
    const anon = { "content-type": "application/json" };
    await expectProblem(await app.request("/products", post(chair, anon)), 401, "unauthenticated");
    await expectProblem(await app.request("/products", post(chair, asUser)), 403, "permission_denied");
    await expectProblem(await app.request("/products", post("{oops", asUser)), 403, "permission_denied");
    await expectProblem(
      await app.request(`/products/${ids[0]}`, patch({ stock: 0 }, asUser)),
      403,
      "permission_denied",
    );
    await expectProblem(await app.request(`/products/${ids[0]}`, patch({ stock: 0 }, anon)), 401, "unauthenticated");
    const deactivate = await app.request(`/products/${ids[0]}/deactivate`, { method: "POST", headers: user });
    await expectProblem(deactivate, 403, "permission_denied");
    const forged = { "x-user-id": "not-a-uuid", "x-user-roles": "admin", "content-type": "application/json" };
    await expectProblem(await app.request("/products", post(chair, forged)), 401, "unauthenticated");
    expect(await repo.list({}, null, 100)).toEqual(before);
  });

  test("every bad body answers 400 problem+json and writes nothing", async () => {
    const { app, repo } = await makeApp();
    const bodies: unknown[] = [
      "{oops",
      "[]",
      "null",
      { ...chair, priceMinor: -1 },
      { ...chair, priceMinor: 1.5 },
      { ...chair, priceMinor: "4900" },
      { ...chair, priceMinor: 2 ** 31 },
      { ...chair, stock: -1 },
      { ...chair, currency: "eur" },
      { ...chair, currency: "XYZ" },
      { ...chair, currency: "EURO" },
      { ...chair, sku: "" },
      { ...chair, sku: "a b" },
      { ...chair, name: "" },
      { ...chair, active: "yes" },
      { ...chair, version: 7 },
      { ...chair, id: unknownId },
      { name: "no sku", priceMinor: 1, currency: "EUR" },
    ];
    for (const body of bodies) {
      await expectProblem(await app.request("/products", post(body)), 400, "invalid_argument");
    }
    expect(await repo.list({}, null, 100)).toEqual([]);
  });

  test("a wrong content type answers 415 and an oversized body 413", async () => {
    const { app } = await makeApp();
    const wrongType = await app.request("/products", post(chair, { ...admin, "content-type": "text/plain" }));
    await expectProblem(wrongType, 415, "unsupported_media_type");
    const huge = await app.request("/products", post({ ...chair, description: "x".repeat(2 * 1024 * 1024) }));
    await expectProblem(huge, 413, "payload_too_large");
  });

  test("a create retried with its Idempotency-Key answers the first product again; another body answers 422", async () => {
    const { app, repo } = await makeApp();
    const keyed = (body: unknown, key = '"k-1"') => post(body, { ...adminJson, "idempotency-key": key });
    const first = await app.request("/products", keyed(chair));
    const retry = await app.request("/products", keyed(chair));
    expect([first.status, retry.status]).toEqual([201, 201]);
    expect(await retry.text()).toBe(await first.text());
    for (const header of ["location", "etag", "cache-control"]) {
      expect(retry.headers.get(header)).toBe(first.headers.get(header));
    }
    expect(retry.headers.get("idempotent-replayed")).toBe("true");
    await expectProblem(
      await app.request("/products", keyed({ ...chair, sku: "CHAIR-2" })),
      422,
      "unprocessable_content",
    );
    expect((await repo.list({}, null, 100)).length).toBe(1);
  });

  test("a create retried while the first with its key still runs answers 409 and creates nothing more", async () => {
    const { app, repo } = await makeApp();
    let open = () => {};
    const gate = new Promise<void>((resolve) => (open = resolve));
    const create = repo.create.bind(repo);
    repo.create = async (input) => {
      await gate;
      return create(input);
    };
    const keyed = () => post(chair, { ...adminJson, "idempotency-key": "k-2" });
    const slow = app.request("/products", keyed());
    await Bun.sleep(20);
    await expectProblem(await app.request("/products", keyed()), 409, "conflict");
    open();
    expect((await slow).status).toBe(201);
    expect((await app.request("/products", keyed())).headers.get("idempotent-replayed")).toBe("true");
    expect((await repo.list({}, null, 100)).length).toBe(1);
  });

  test("a duplicate sku, in any case, answers 409 and writes nothing", async () => {
    const { app, repo } = await makeApp();
    expect((await app.request("/products", post(chair))).status).toBe(201);
    await expectProblem(await app.request("/products", post({ ...chair, sku: "chair-1" })), 409, "conflict");
    expect((await repo.list({}, null, 100)).length).toBe(1);
  });

  test("PATCH changes only the given fields and returns the new ETag", async () => {
    const { app, ids } = await makeApp([{}]);
    const res = await app.request(`/products/${ids[0]}`, patch({ priceMinor: 999, description: "new" }));
    expect(res.status).toBe(200);
    expect(await res.json()).toMatchObject({ priceMinor: 999, description: "new", name: "Product 0", version: 2 });
    expect(res.headers.get("etag")).toBe('"v2"');
  });

  test("PATCH with a stale If-Match answers 412 and changes nothing; the current one applies", async () => {
    const { app, ids, repo } = await makeApp([{}]);
    const id = ids[0]!;
    expect((await app.request(`/products/${id}`, patch({ stock: 7 }))).status).toBe(200);
    const stale = await app.request(`/products/${id}`, patch({ stock: 0 }, { ...adminJson, "if-match": '"v1"' }));
    await expectProblem(stale, 412, "precondition_failed");
    const weak = await app.request(`/products/${id}`, patch({ stock: 0 }, { ...adminJson, "if-match": 'W/"v2"' }));
    await expectProblem(weak, 412, "precondition_failed");
    expect((await repo.get(id))?.stock).toBe(7);
    const current = await app.request(
      `/products/${id}`,
      patch({ stock: 0 }, { ...adminJson, "if-match": '"v1", "v2"' }),
    );
    expect(current.status).toBe(200);
    expect(current.headers.get("etag")).toBe('"v3"');
    const star = await app.request(`/products/${id}`, patch({ stock: 4 }, { ...adminJson, "if-match": "*" }));
    expect(star.status).toBe(200);
  });

  test("PATCH rejects bad bodies, unknown ids and taken skus, writing nothing", async () => {
    const { app, ids, repo } = await makeApp([{}, {}]);
    const before = await repo.list({}, null, 100);
    for (const body of ["{oops", {}, { priceMinor: -5 }, { currency: "ABC" }, { stock: "1" }, { version: 9 }]) {
      await expectProblem(await app.request(`/products/${ids[0]}`, patch(body)), 400, "invalid_argument");
    }
    await expectProblem(await app.request(`/products/${unknownId}`, patch({ stock: 1 })), 404, "not_found");
    await expectProblem(await app.request(`/products/${ids[0]}`, patch({ sku: "sku-1" })), 409, "conflict");
    expect(await repo.list({}, null, 100)).toEqual(before);
  });

  test("deactivating hides the product from the public but not from batch reads", async () => {
    const { app, ids } = await makeApp([{}]);
    const id = ids[0]!;
    const stale = await app.request(`/products/${id}/deactivate`, {
      method: "POST",
      headers: { ...admin, "if-match": '"v9"' },
    });
    await expectProblem(stale, 412, "precondition_failed");
    const res = await app.request(`/products/${id}/deactivate`, {
      method: "POST",
      headers: { ...admin, "if-match": '"v1"' },
    });
    expect(res.status).toBe(200);
    expect(await res.json()).toMatchObject({ active: false, version: 2 });
    await expectProblem(await app.request(`/products/${id}`), 404, "not_found");
    const batch = await app.request("/products/batch-get", post({ ids: [id] }, { "content-type": "application/json" }));
    expect(((await batch.json()) as { products: { active: boolean }[] }).products[0]!.active).toBe(false);
    await expectProblem(
      await app.request(`/products/${unknownId}/deactivate`, { method: "POST", headers: admin }),
      404,
      "not_found",
    );
  });
});

describe("POST /products/batch-get", () => {
  const asJson = { "content-type": "application/json" };

  test("answers known products and lists unknown ids as missing, never cached", async () => {
    const { app, ids } = await makeApp([{}, { active: false }]);
    const res = await app.request("/products/batch-get", post({ ids: [ids[1], unknownId, ids[0]] }, asJson));
    expect(res.status).toBe(200);
    expect(res.headers.get("cache-control")).toBe("no-store");
    expect(await res.json()).toEqual({
      products: [
        { id: ids[1], sku: "SKU-1", name: "Product 1", priceMinor: 200, currency: "EUR", stock: 5, active: false },
        { id: ids[0], sku: "SKU-0", name: "Product 0", priceMinor: 100, currency: "EUR", stock: 5, active: true },
      ],
      missing: [unknownId],
    });
  });

  test("bad input answers 400", async () => {
    const { app } = await makeApp();
    const tooMany = Array.from({ length: 101 }, () => unknownId);
    for (const body of ["{oops", {}, { ids: [] }, { ids: ["x"] }, { ids: tooMany }, { ids: unknownId }]) {
      await expectProblem(await app.request("/products/batch-get", post(body, asJson)), 400, "invalid_argument");
    }
  });
});

describe("stock reservations over HTTP (admins only)", () => {
  const orderId = "0190d9a4-6b1e-7c3a-9f51-00000000e001";

  test("an admin reserves, a retry answers the same reservation, and a release gives the stock back once", async () => {
    const { app, ids } = await makeApp([{}]);
    const body = { orderId, lines: [{ productId: ids[0], quantity: 2 }] };
    for (let i = 0; i < 2; i++) {
      const res = await app.request("/stock/reservations", post(body));
      expect(res.status).toBe(200);
      expect(res.headers.get("cache-control")).toBe("no-store");
      expect(await res.json()).toEqual({ ...body, status: "held" });
    }
    const stock = async () => ((await (await app.request(`/products/${ids[0]}`)).json()) as { stock: number }).stock;
    expect(await stock()).toBe(3);
    for (let i = 0; i < 2; i++) {
      const res = await app.request(`/stock/reservations/${orderId}/release`, { method: "POST", headers: admin });
      expect(((await res.json()) as { status: string }).status).toBe("released");
    }
    expect(await stock()).toBe(5);
  });

  test("too little stock answers 409 naming the line; a user 403, no identity 401", async () => {
    const { app, ids } = await makeApp([{}]);
    const body = { orderId, lines: [{ productId: ids[0], quantity: 6 }] };
    const refused = await expectProblem(await app.request("/stock/reservations", post(body)), 409, "conflict");
    expect(JSON.stringify(refused)).toContain("/lines/0/quantity");
    const asUser = { ...user, "content-type": "application/json" };
    await expectProblem(await app.request("/stock/reservations", post(body, asUser)), 403, "permission_denied");
    const anonymous = { "content-type": "application/json" };
    await expectProblem(await app.request("/stock/reservations", post(body, anonymous)), 401, "unauthenticated");
    const release = `/stock/reservations/${orderId}/release`;
    await expectProblem(await app.request(release, { method: "POST", headers: user }), 403, "permission_denied");
  });
});

test("the OpenAPI document is 3.1, carries the build version and documents every operation", async () => {
  const { app } = await makeApp();
  const doc = (await (await app.request("/openapi.json")).json()) as {
    openapi: string;
    info: { version: string };
    paths: Record<string, Record<string, unknown>>;
  };
  expect(doc.openapi).toBe("3.1.0");
  expect(doc.info.version).toBe("9.9.9");
  expect(Object.keys(doc.paths).sort()).toEqual([
    "/products",
    "/products/batch-get",
    "/products/{id}",
    "/products/{id}/deactivate",
    "/stock/reservations",
    "/stock/reservations/{orderId}/release",
  ]);
  expect(Object.keys(doc.paths["/products/{id}"]!).sort()).toEqual(["get", "patch"]);
});
