// End-to-end: the compiled catalog binary, copied alone into an empty folder, against a fresh database:
// the smoke test every service passes (shared/testing/smoke.ts), catalog's own checks on the same running
// binary, then bad input that must leave the tables unchanged.
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { parsePrometheusText } from "@shared/testing";
import { bufCurl } from "@shared/testing/grpc.ts";
import { smokeTestBinary } from "@shared/testing/smoke.ts";
import postgres from "postgres";

const smoke = smokeTestBinary("catalog", { exercisePath: "/products?limit=1" });

const admin = { "x-user-id": "0190d9a4-6b1e-7c3a-9f51-000000000001", "x-user-roles": "admin" };
const user = { "x-user-id": "0190d9a4-6b1e-7c3a-9f51-0000000000a1", "x-user-roles": "user" };
const json = { "content-type": "application/json" };
const chair = { sku: "CHAIR-1", name: "Chair", priceMinor: 4900, currency: "EUR", stock: 3 };

describe("the catalog binary", () => {
  test("is ready with its database and its (in-process) bus", async () => {
    const res = await fetch(`${smoke.app.url}/readyz`);
    expect(await res.json()).toEqual({ status: "ok", checks: { database: "ok", bus: "ok" } });
  });

  test("records request durations under the product routes", async () => {
    await (await fetch(`${smoke.app.url}/products?limit=1`)).arrayBuffer();
    const samples = parsePrometheusText(await (await fetch(`${smoke.app.url}/metrics`)).text());
    expect(
      samples.some((s) => s.name === "http_request_duration_seconds_count" && s.labels.route === "/products"),
    ).toBe(true);
  });

  test("an admin creates a product, the public reads it with an ETag and revalidates to 304", async () => {
    const created = await fetch(`${smoke.app.url}/products`, {
      method: "POST",
      headers: { ...admin, ...json },
      body: JSON.stringify({ ...chair, sku: "SMOKE-1" }),
    });
    expect(created.status).toBe(201);
    const location = created.headers.get("location")!;
    const first = await fetch(`${smoke.app.url}${location}`);
    expect(first.status).toBe(200);
    expect(first.headers.get("cache-control")).toMatch(/^public, max-age=\d+$/);
    const again = await fetch(`${smoke.app.url}${location}`, {
      headers: { "if-none-match": first.headers.get("etag")! },
    });
    expect(again.status).toBe(304);
    expect(await again.text()).toBe("");
  });
});

/** A proto JSON value (int64 as a string, defaults left out) in the contract's JSON shape, field by field of `like`. */
function asContractJson(value: Record<string, unknown>, like: Record<string, unknown>): Record<string, unknown> {
  const defaults = { number: 0, boolean: false, string: "" } as Record<string, unknown>;
  return Object.fromEntries(
    Object.entries(like).map(([k, v]) => {
      const got = value[k] ?? defaults[typeof v];
      return [k, typeof v === "number" ? Number(got) : got];
    }),
  );
}

describe("the catalog binary over gRPC (buf curl, schemas by reflection)", () => {
  const rpc = "shop.catalog.v1.CatalogService/ProductsGet";

  test("products-get returns the same products as HTTP's batch-get", async () => {
    const created = await fetch(`${smoke.app.url}/products`, {
      method: "POST",
      headers: { ...admin, ...json },
      body: JSON.stringify({ ...chair, sku: "GRPC-1" }),
    });
    expect(created.status).toBe(201);
    const { id } = (await created.json()) as { id: string };
    const missing = "0190d9a4-6b1e-7c3a-9f51-00000000ffff";
    const body = JSON.stringify({ ids: [id, missing] });
    const viaHttp = (await (
      await fetch(`${smoke.app.url}/products/batch-get`, { method: "POST", headers: json, body })
    ).json()) as { products: Record<string, unknown>[]; missing: string[] };
    const called = bufCurl(smoke.grpcPort, ["-d", body], rpc);
    expect(called.err).toBe("");
    const viaGrpc = JSON.parse(called.out) as { products: Record<string, unknown>[]; missing: string[] };
    expect(viaHttp.products).toHaveLength(1);
    expect(viaGrpc.missing).toEqual(viaHttp.missing);
    expect(viaGrpc.products.map((p, i) => asContractJson(p, viaHttp.products[i]!))).toEqual(viaHttp.products);
  });

  test("a bad argument answers INVALID_ARGUMENT with the problem's detail", () => {
    const called = bufCurl(smoke.grpcPort, ["-d", '{"ids":["nope"]}'], rpc);
    expect(called.code).not.toBe(0);
    expect(JSON.parse(called.err)).toEqual({ code: "invalid_argument", message: "Request is invalid" });
  });

  test("its gRPC calls are counted under transport grpc", async () => {
    const samples = parsePrometheusText(await (await fetch(`${smoke.app.url}/metrics`)).text());
    const grpcCalls = samples.filter(
      (s) => s.name === "endpoint_request_duration_seconds_count" && s.labels.transport === "grpc",
    );
    expect(grpcCalls.find((s) => s.labels.endpoint === "catalog.products.get" && s.labels.code === "ok")?.value).toBe(
      1,
    );
  });
});

describe("bad input against the catalog binary", () => {
  let sql: postgres.Sql;
  let id: string;
  const snapshot = async () => sql`select * from catalog.products order by id`;

  beforeAll(async () => {
    sql = postgres(smoke.databaseUrl, { max: 2, onnotice: () => {} });
    for (const p of [chair, { ...chair, sku: "LAMP-1", name: "Lamp" }]) {
      const res = await fetch(`${smoke.app.url}/products`, {
        method: "POST",
        headers: { ...admin, ...json },
        body: JSON.stringify(p),
      });
      expect(res.status).toBe(201);
    }
    id = ((await (await fetch(`${smoke.app.url}/products?q=chair-1`)).json()) as { items: { id: string }[] }).items[0]!
      .id;
  });
  afterAll(() => sql.end());

  const create = (body: string, headers: Record<string, string> = { ...admin, ...json }) => ({
    method: "POST",
    headers,
    body,
  });
  const change = (body: string, headers: Record<string, string> = { ...admin, ...json }) => ({
    method: "PATCH",
    headers,
    body,
  });
  const cases: [string, () => string, RequestInit, number, string][] = [
    ["malformed JSON", () => "/products", create("{nope"), 400, "invalid_argument"],
    ["a wrong type", () => "/products", create(JSON.stringify({ ...chair, stock: "3" })), 400, "invalid_argument"],
    [
      "a negative price",
      () => "/products",
      create(JSON.stringify({ ...chair, sku: "N", priceMinor: -1 })),
      400,
      "invalid_argument",
    ],
    ["a negative stock", () => `/products/${id}`, change('{"stock":-1}'), 400, "invalid_argument"],
    ["a bad currency", () => `/products/${id}`, change('{"currency":"XXY"}'), 400, "invalid_argument"],
    ["a duplicate sku", () => "/products", create(JSON.stringify({ ...chair, sku: "lamp-1" })), 409, "conflict"],
    ["a sku taken by another product", () => `/products/${id}`, change('{"sku":"LAMP-1"}'), 409, "conflict"],
    ["an unknown id", () => "/products/0190d9a4-6b1e-7c3a-9f51-00000000ffff", change('{"stock":1}'), 404, "not_found"],
    [
      "a non-admin write",
      () => `/products/${id}`,
      change('{"stock":0}', { ...user, ...json }),
      403,
      "permission_denied",
    ],
    ["a write with no identity", () => "/products", create(JSON.stringify(chair), json), 401, "unauthenticated"],
    [
      "a stale If-Match",
      () => `/products/${id}`,
      change('{"stock":0}', { ...admin, ...json, "if-match": '"v0"' }),
      412,
      "precondition_failed",
    ],
    [
      "a stale If-Match on deactivate",
      () => `/products/${id}/deactivate`,
      { method: "POST", headers: { ...admin, "if-match": '"v7"' } },
      412,
      "precondition_failed",
    ],
    [
      "a wrong content type",
      () => "/products",
      create("sku=x", { ...admin, "content-type": "text/plain" }),
      415,
      "unsupported_media_type",
    ],
    [
      "a 2 MiB body",
      () => "/products",
      create(JSON.stringify({ ...chair, description: "x".repeat(2 * 1024 * 1024) })),
      413,
      "payload_too_large",
    ],
    ["a bad batch", () => "/products/batch-get", create('{"ids":["nope"]}', json), 400, "invalid_argument"],
  ];

  for (const [name, path, init, status, code] of cases) {
    test(`${name} answers ${status} problem+json and changes nothing`, async () => {
      const before = await snapshot();
      const res = await fetch(`${smoke.app.url}${path()}`, init);
      expect(res.status).toBe(status);
      expect(res.headers.get("content-type")).toBe("application/problem+json");
      const body = (await res.json()) as { code: string; status: number; requestId: string };
      expect(body.code).toBe(code);
      expect(body.status).toBe(status);
      expect(body.requestId).toBe(res.headers.get("x-request-id")!);
      expect(await snapshot()).toEqual(before);
    });
  }

  test("no request of the suite was answered with a 5xx or logged as an error", () => {
    const errors = smoke.app.stdout.filter((l) => /"status":5\d\d/.test(l) || /"level":"(error|fatal)"/.test(l));
    expect(errors).toEqual([]);
  });
});
