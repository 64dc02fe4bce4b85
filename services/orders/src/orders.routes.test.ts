import { describe, expect, test } from "bun:test";
import { MemoryIdempotencyStore } from "@shared/idempotency";
import pino from "pino";
import { createApp } from "./orders.app.ts";
import { MemoryCatalog, product } from "./orders.catalog.memory.ts";
import { makeOrdersEndpoints } from "./orders.endpoints.ts";
import { MemoryOrdersRepo } from "./orders.repo.memory.ts";
import { OrdersService } from "./orders.service.ts";

const alice = "0190d9a4-6b1e-7c3a-9f51-2b9d3c4e5fa1";
const bob = "0190d9a4-6b1e-7c3a-9f51-2b9d3c4e5fb0";
const adminId = "0190d9a4-6b1e-7c3a-9f51-2b9d3c4e5f01";
const mug = "0190d9a4-6b1e-7c3a-9f51-00000000f001";
const tea = "0190d9a4-6b1e-7c3a-9f51-00000000f002";
const unknown = "0190d9a4-6b1e-7c3a-9f51-00000000ffff";

function makeApp() {
  const repo = new MemoryOrdersRepo();
  const catalog = new MemoryCatalog([product(mug, { priceMinor: 1250, stock: 5 }), product(tea, { priceMinor: 399 })]);
  const service = new OrdersService(repo, catalog, { pendingTimeoutMs: 30_000 });
  const app = createApp({
    endpoints: makeOrdersEndpoints(service),
    logger: pino({ level: "silent" }),
    version: "9.9.9",
    idempotency: new MemoryIdempotencyStore(),
  });
  return { app, repo, catalog };
}

const as = (id: string, roles = "user") => ({ "x-user-id": id, "x-user-roles": roles });
const asJson = (id: string, roles = "user") => ({ ...as(id, roles), "content-type": "application/json" });

async function expectProblem(res: Response, status: number, code: string) {
  expect(res.status).toBe(status);
  expect(res.headers.get("content-type")).toBe("application/problem+json");
  const body = (await res.json()) as { code: string; errors?: { path: string; message: string }[] };
  expect(body.code).toBe(code);
  return body;
}

type OrderBody = {
  id: string;
  status: string;
  totalMinor: number;
  productIds: string[];
  lines: Record<string, unknown>[];
};

async function place(app: ReturnType<typeof makeApp>["app"], who: string, lines: unknown) {
  return app.request("/orders", { method: "POST", headers: asJson(who), body: JSON.stringify({ lines }) });
}

async function placed(app: ReturnType<typeof makeApp>["app"], who = alice): Promise<OrderBody> {
  const res = await place(app, who, [{ productId: mug, quantity: 2 }]);
  expect(res.status).toBe(201);
  return (await res.json()) as OrderBody;
}

describe("placing an order over HTTP", () => {
  test("answers 201 with the priced order, its lines and product ids, and a Location", async () => {
    const { app } = makeApp();
    const res = await place(app, alice, [
      { productId: mug, quantity: 2 },
      { productId: tea, quantity: 1 },
    ]);
    expect(res.status).toBe(201);
    const body = (await res.json()) as OrderBody;
    expect(res.headers.get("location")).toBe(`/orders/${body.id}`);
    expect(body).toMatchObject({ userId: alice, status: "placed", currency: "EUR", totalMinor: 2 * 1250 + 399 });
    expect(body.productIds).toEqual([mug, tea]);
    expect(body.lines[0]).toEqual({
      productId: mug,
      sku: "SKU-f001",
      name: "Product f001",
      quantity: 2,
      unitPriceMinor: 1250,
      lineTotalMinor: 2500,
    });
  });

  const bad: [string, string, string][] = [
    ["malformed JSON", "{oops", "/"],
    ["a missing lines field", "{}", "/body/lines"],
    ["lines of the wrong type", JSON.stringify({ lines: "mug" }), "/body/lines"],
    ["no lines", JSON.stringify({ lines: [] }), "/body/lines"],
    [
      "a quantity as a string",
      JSON.stringify({ lines: [{ productId: mug, quantity: "2" }] }),
      "/body/lines/0/quantity",
    ],
    ["a zero quantity", JSON.stringify({ lines: [{ productId: mug, quantity: 0 }] }), "/body/lines/0/quantity"],
    ["a huge quantity", JSON.stringify({ lines: [{ productId: mug, quantity: 1_000_001 }] }), "/body/lines/0/quantity"],
    ["a fractional quantity", JSON.stringify({ lines: [{ productId: mug, quantity: 1.5 }] }), "/body/lines/0/quantity"],
    [
      "a product id that is no uuid",
      JSON.stringify({ lines: [{ productId: "mug", quantity: 1 }] }),
      "/body/lines/0/productId",
    ],
    [
      "a duplicate product",
      JSON.stringify({
        lines: [
          { productId: mug, quantity: 1 },
          { productId: mug, quantity: 1 },
        ],
      }),
      "/body/lines/1/productId",
    ],
    [
      "101 lines",
      JSON.stringify({
        lines: Array.from({ length: 101 }, (_, i) => ({
          productId: `0190d9a4-6b1e-7c3a-9f51-${String(i).padStart(12, "0")}`,
          quantity: 1,
        })),
      }),
      "/body/lines",
    ],
    ["an unknown field", JSON.stringify({ lines: [{ productId: mug, quantity: 1 }], userId: bob }), "/body"],
    [
      "an unknown line field",
      JSON.stringify({ lines: [{ productId: mug, quantity: 1, priceMinor: 1 }] }),
      "/body/lines/0",
    ],
  ];
  for (const [name, body, path] of bad) {
    test(`${name} answers 400 naming ${path}, without asking catalog or writing`, async () => {
      const { app, repo, catalog } = makeApp();
      const res = await app.request("/orders", { method: "POST", headers: asJson(alice), body });
      const problem = await expectProblem(res, 400, "invalid_argument");
      if (path !== "/") expect(problem.errors?.map((e) => e.path)).toContain(path);
      expect(catalog.calls).toEqual([]);
      expect(repo.size).toBe(0);
    });
  }

  test("a wrong content type answers 415 and a 2 MiB body 413, writing nothing", async () => {
    const { app, repo } = makeApp();
    const text = await app.request("/orders", {
      method: "POST",
      headers: { ...as(alice), "content-type": "text/plain" },
      body: "lines=1",
    });
    await expectProblem(text, 415, "unsupported_media_type");
    const huge = await app.request("/orders", {
      method: "POST",
      headers: asJson(alice),
      body: JSON.stringify({ lines: [{ productId: mug, quantity: 1 }], pad: "x".repeat(2 * 1024 * 1024) }),
    });
    await expectProblem(huge, 413, "payload_too_large");
    expect(repo.size).toBe(0);
  });

  test("no identity, or a malformed one, answers 401 and writes nothing", async () => {
    const { app, repo, catalog } = makeApp();
    const body = JSON.stringify({ lines: [{ productId: mug, quantity: 1 }] });
    const headers: Record<string, string>[] = [
      { "content-type": "application/json" },
      { "content-type": "application/json", "x-user-id": "1 or 1=1" },
    ];
    for (const h of headers) {
      await expectProblem(await app.request("/orders", { method: "POST", headers: h, body }), 401, "unauthenticated");
    }
    expect(catalog.calls).toEqual([]);
    expect(repo.size).toBe(0);
  });

  test("unknown products and too little stock answer 409 naming each line, writing nothing", async () => {
    const { app, repo } = makeApp();
    const res = await place(app, alice, [
      { productId: unknown, quantity: 1 },
      { productId: mug, quantity: 6 },
    ]);
    const problem = await expectProblem(res, 409, "conflict");
    expect(problem.errors).toEqual([
      { path: "/lines/0/productId", message: "no such product" },
      { path: "/lines/1/quantity", message: "only 5 in stock" },
    ]);
    expect(repo.size).toBe(0);
  });

  test("a catalog that cannot answer makes placing answer 503, writing nothing", async () => {
    const { app, repo, catalog } = makeApp();
    catalog.down = true;
    await expectProblem(await place(app, alice, [{ productId: mug, quantity: 1 }]), 503, "unavailable");
    expect(repo.size).toBe(0);
  });
});

describe("reading, listing and cancelling over HTTP", () => {
  test("the owner and an admin read an order; another user gets 404 like for an unknown id", async () => {
    const { app } = makeApp();
    const order = await placed(app);
    expect((await app.request(`/orders/${order.id}`, { headers: as(alice) })).status).toBe(200);
    expect((await app.request(`/orders/${order.id}`, { headers: as(adminId, "admin") })).status).toBe(200);
    await expectProblem(await app.request(`/orders/${order.id}`, { headers: as(bob) }), 404, "not_found");
    await expectProblem(await app.request(`/orders/${unknown}`, { headers: as(alice) }), 404, "not_found");
    await expectProblem(await app.request(`/orders/${order.id}`), 401, "unauthenticated");
    const badId = await expectProblem(await app.request("/orders/42", { headers: as(alice) }), 400, "invalid_argument");
    expect(JSON.stringify(badId)).toContain("/params/id");
  });

  test("GET /orders lists the caller's own orders, newest first, each once across pages", async () => {
    const { app, catalog } = makeApp();
    // Every placement holds stock now: enough for the four orders below.
    catalog.put(product(mug, { priceMinor: 1250, stock: 100 }));
    const mine = [await placed(app), await placed(app), await placed(app)];
    await placed(app, bob);
    const seen: string[] = [];
    let cursor: string | null = null;
    do {
      const q: string = cursor ? `?limit=2&cursor=${cursor}` : "?limit=2";
      const res = await app.request(`/orders${q}`, { headers: as(alice) });
      expect(res.status).toBe(200);
      const page = (await res.json()) as { items: { id: string }[]; nextCursor: string | null };
      seen.push(...page.items.map((o) => o.id));
      cursor = page.nextCursor;
    } while (cursor);
    expect(seen).toEqual(mine.map((o) => o.id).reverse());
  });

  test("only admins list everyone's or another user's orders", async () => {
    const { app } = makeApp();
    await placed(app);
    await placed(app, bob);
    await expectProblem(await app.request("/orders?scope=all", { headers: as(alice) }), 403, "permission_denied");
    await expectProblem(await app.request(`/orders?userId=${bob}`, { headers: as(alice) }), 403, "permission_denied");
    const all = await app.request("/orders?scope=all", { headers: as(adminId, "admin") });
    expect(((await all.json()) as { items: unknown[] }).items).toHaveLength(2);
    const bobs = await app.request(`/orders?userId=${bob}`, { headers: as(adminId, "admin") });
    expect(((await bobs.json()) as { items: { userId: string }[] }).items.map((o) => o.userId)).toEqual([bob]);
    await expectProblem(await app.request("/orders"), 401, "unauthenticated");
  });

  test("bad listing parameters answer 400", async () => {
    const { app } = makeApp();
    for (const q of ["limit=0", "limit=1000", "status=lost", "scope=everyone", "userId=bob", "cursor=!!!"]) {
      await expectProblem(await app.request(`/orders?${q}`, { headers: as(alice) }), 400, "invalid_argument");
    }
  });

  test("the owner cancels a placed order; cancelling it again answers 409 and changes nothing", async () => {
    const { app, repo } = makeApp();
    const order = await placed(app);
    const res = await app.request(`/orders/${order.id}/cancel`, { method: "POST", headers: as(alice) });
    expect(res.status).toBe(200);
    expect(((await res.json()) as OrderBody).status).toBe("cancelled");
    const before = await repo.get(order.id);
    const again = await app.request(`/orders/${order.id}/cancel`, { method: "POST", headers: as(alice) });
    await expectProblem(again, 409, "conflict");
    expect(await repo.get(order.id)).toEqual(before);
  });

  test("another user's cancel answers 404, no identity 401, and the order stays placed", async () => {
    const { app, repo } = makeApp();
    const order = await placed(app);
    const byBob = await app.request(`/orders/${order.id}/cancel`, { method: "POST", headers: as(bob) });
    await expectProblem(byBob, 404, "not_found");
    await expectProblem(await app.request(`/orders/${order.id}/cancel`, { method: "POST" }), 401, "unauthenticated");
    expect((await repo.get(order.id))?.status).toBe("placed");
  });

  test("only an admin advances an order, along the state machine only", async () => {
    const { app, repo } = makeApp();
    const order = await placed(app);
    const to = (status: string, who: Record<string, string>) =>
      app.request(`/orders/${order.id}/status`, {
        method: "POST",
        headers: { ...who, "content-type": "application/json" },
        body: JSON.stringify({ status }),
      });
    await expectProblem(await to("paid", as(alice)), 403, "permission_denied");
    await expectProblem(await to("shipped", as(adminId, "admin")), 409, "conflict");
    await expectProblem(await to("placed", as(adminId, "admin")), 400, "invalid_argument");
    expect((await repo.get(order.id))?.status).toBe("placed");
    expect((await to("paid", as(adminId, "admin"))).status).toBe(200);
    const cancel = await app.request(`/orders/${order.id}/cancel`, { method: "POST", headers: as(alice) });
    await expectProblem(cancel, 409, "conflict");
    expect((await repo.get(order.id))?.status).toBe("paid");
  });

  test("the OpenAPI document is 3.1 and carries the build version", async () => {
    const { app } = makeApp();
    const doc = (await (await app.request("/openapi.json")).json()) as { openapi: string; info: { version: string } };
    expect(doc.openapi).toBe("3.1.0");
    expect(doc.info.version).toBe("9.9.9");
  });
});

describe("retrying a placement with an Idempotency-Key", () => {
  const keyed = (key: string, lines: unknown, who = alice) =>
    ({
      method: "POST",
      headers: { ...asJson(who), "idempotency-key": key },
      body: JSON.stringify({ lines }),
    }) as const;
  const two = [{ productId: mug, quantity: 2 }];

  test("a retry with the same key and lines answers the first order again and places nothing more", async () => {
    const { app, repo } = makeApp();
    const first = await app.request("/orders", keyed('"k-1"', two));
    const retry = await app.request("/orders", keyed('"k-1"', two));
    expect(first.status).toBe(201);
    expect(retry.status).toBe(201);
    const body = await first.text();
    expect(await retry.text()).toBe(body);
    expect(retry.headers.get("location")).toBe(first.headers.get("location"));
    expect(retry.headers.get("idempotent-replayed")).toBe("true");
    expect(repo.size).toBe(1);
    // Another caller's same key is their own: it places their order.
    expect((await app.request("/orders", keyed('"k-1"', two, bob))).headers.get("idempotent-replayed")).toBeNull();
    expect(repo.size).toBe(2);
  });

  test("the same key with other lines answers 422, and a retry during the first placement 409", async () => {
    const { app, repo } = makeApp();
    await app.request("/orders", keyed("k-1", two));
    await expectProblem(
      await app.request("/orders", keyed("k-1", [{ productId: tea, quantity: 1 }])),
      422,
      "unprocessable_content",
    );
    let open = () => {};
    const gate = new Promise<void>((resolve) => (open = resolve));
    const insert = repo.insert.bind(repo);
    repo.insert = async (...args) => {
      await gate;
      return insert(...args);
    };
    const slow = app.request("/orders", keyed("k-2", two));
    await Bun.sleep(20);
    await expectProblem(await app.request("/orders", keyed("k-2", two)), 409, "conflict");
    open();
    expect((await slow).status).toBe(201);
    expect(repo.size).toBe(2);
  });
});
