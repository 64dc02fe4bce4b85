import { afterAll, describe, expect, test } from "bun:test";
import { sleep, startBackend, startGateway, stopAll } from "../testing/harness.ts";

afterAll(stopAll);

const users = startBackend((_req, url) => {
  if (url.pathname === "/users/7") return Response.json({ id: 7, name: "Ada" });
  return new Response("no", { status: 404 });
});
const slow = startBackend(async () => {
  await sleep(400);
  return Response.json({ orders: [1, 2] });
});
const orders = startBackend((_req, url) => {
  if (url.pathname === "/orders/5") return Response.json({ id: 5, productIds: [1, 2, 3], customer: { id: 7 } });
  if (url.pathname === "/orders/6") return Response.json({ id: 6, productIds: [] });
  return new Response("missing", { status: 404 });
});
const catalog = startBackend((_req, url) => Response.json([{ query: url.search }]));
const broken = startBackend(() => new Response("boom", { status: 500 }));
// UTF-8 with a byte order mark, as some backends send it
const bom = startBackend(
  () =>
    new Response(Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), Buffer.from('{"title":"Zoë 李"}')]), {
      headers: { "content-type": "application/json" },
    }),
);

describe("merging backends", () => {
  const gw = startGateway({
    endpoints: [
      {
        endpoint: "/me/{id}",
        timeout: "200ms",
        cache_ttl: "30s",
        backend: [
          { host: [users.url], url_pattern: "/users/{id}" },
          { host: [slow.url], url_pattern: "/slow" },
        ],
      },
      {
        endpoint: "/both/{id}",
        timeout: "1s",
        cache_ttl: "30s",
        backend: [
          { host: [users.url], url_pattern: "/users/{id}", group: "user" },
          { host: [orders.url], url_pattern: "/orders/5", group: "order" },
        ],
      },
      {
        endpoint: "/bom/{id}",
        backend: [
          { host: [bom.url], url_pattern: "/b" },
          { host: [users.url], url_pattern: "/users/{id}" },
        ],
      },
      {
        endpoint: "/dead",
        backend: [
          { host: [broken.url], url_pattern: "/a" },
          { host: [broken.url], url_pattern: "/b" },
        ],
      },
    ],
  });

  test("a merge with every backend answering is complete and cacheable", async () => {
    const res = await fetch(`${gw.url}/both/7`);
    expect(res.status).toBe(200);
    expect(res.headers.get("x-krakend-completed")).toBe("true");
    expect(res.headers.get("cache-control")).toBe("public, max-age=30");
    expect(await res.json()).toEqual({
      user: { id: 7, name: "Ada" },
      order: { id: 5, productIds: [1, 2, 3], customer: { id: 7 } },
    });
  });

  test("a backend's UTF-8 body decodes whole, a leading byte order mark dropped, and merges with the others", async () => {
    const res = await fetch(`${gw.url}/bom/7`);
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({ title: "Zoë 李", id: 7, name: "Ada" });
  });

  test("a backend slower than 85% of the timeout is left out and the answer is marked incomplete", async () => {
    const started = performance.now();
    const res = await fetch(`${gw.url}/me/7`);
    const took = performance.now() - started;
    expect(res.status).toBe(200);
    expect(res.headers.get("x-krakend-completed")).toBe("false");
    expect(res.headers.get("cache-control")).toBeNull();
    expect(await res.json()).toEqual({ id: 7, name: "Ada" });
    expect(took).toBeLessThan(380);
  });

  test("when every backend fails the client gets an error", async () => {
    const res = await fetch(`${gw.url}/dead`);
    expect(res.status).toBe(500);
    expect(res.headers.get("x-krakend-completed")).toBe("false");
    expect(res.headers.get("content-type")).toBe("application/problem+json");
    expect(await res.text()).not.toContain("boom");
  });
});

describe("sequential backends", () => {
  const gw = startGateway({
    endpoints: [
      {
        endpoint: "/orders/{id}/details",
        extra_config: { proxy: { sequential: true } },
        backend: [
          { host: [orders.url], url_pattern: "/orders/{id}", group: "order" },
          {
            host: [catalog.url],
            url_pattern: "/products?ids={resp0_order.productIds}&c={resp0_order.customer.id}",
            is_collection: true,
            mapping: { collection: "products" },
          },
        ],
      },
    ],
  });

  test("a later backend reads an earlier answer through a {respN_field} placeholder", async () => {
    const res = await fetch(`${gw.url}/orders/5/details`);
    expect(res.status).toBe(200);
    expect(res.headers.get("x-krakend-completed")).toBe("true");
    const body = await res.json();
    expect(body.order.id).toBe(5);
    expect(body.products).toEqual([{ query: "?ids=1,2,3&c=7" }]);
  });

  test("the chain stops at the first failing backend", async () => {
    const before = catalog.seen.length;
    const res = await fetch(`${gw.url}/orders/99/details`);
    expect(res.status).toBe(500);
    expect(catalog.seen.length).toBe(before);
  });
});
