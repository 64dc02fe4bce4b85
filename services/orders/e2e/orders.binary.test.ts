// End-to-end: the compiled orders binary, copied alone into an empty folder, against a fresh database:
// the smoke test every service passes, plus the bad-input cases of placing an order against the binary.
import { describe, expect, test } from "bun:test";
import { smokeTestBinary } from "@shared/testing/smoke.ts";
import postgres from "postgres";

const smoke = smokeTestBinary("orders", { exercisePath: "/orders?limit=1" });
const alice = { "x-user-id": "0190d9a4-6b1e-7c3a-9f51-0000000000a1", "x-user-roles": "user" };
const json = { "content-type": "application/json" };
const mug = "0190d9a4-6b1e-7c3a-9f51-00000000f001";

test("config print shows the catalog client's defaults and redacts the database URL", () => {
  const r = smoke.run(["config", "print"], {
    DATABASE_URL: "postgres://u:hunter2@db/x",
    ORDERS_CATALOG_TIMEOUT_MS: "650",
  });
  expect(r.code).toBe(0);
  expect(r.out).not.toContain("hunter2");
  expect(r.out).toContain("650");
  expect(r.out).toContain("failureThreshold");
});

describe("placing orders with bad input against the binary", () => {
  const snapshot = async () => {
    const sql = postgres(smoke.databaseUrl, { max: 1, onnotice: () => {} });
    try {
      return {
        orders: [...(await sql`select * from orders.orders order by id`)],
        lines: [...(await sql`select * from orders.order_lines order by order_id, line_no`)],
        outbox: [...(await sql`select * from orders.outbox order by id`)],
      };
    } finally {
      await sql.end();
    }
  };
  const line = `{"lines":[{"productId":"${mug}","quantity":1}]}`;
  const bad: [string, RequestInit, number, string][] = [
    ["malformed JSON", { method: "POST", headers: { ...alice, ...json }, body: "{nope" }, 400, "invalid_argument"],
    ["no lines", { method: "POST", headers: { ...alice, ...json }, body: '{"lines":[]}' }, 400, "invalid_argument"],
    [
      "a huge quantity",
      { method: "POST", headers: { ...alice, ...json }, body: `{"lines":[{"productId":"${mug}","quantity":1e9}]}` },
      400,
      "invalid_argument",
    ],
    [
      "a wrong content type",
      { method: "POST", headers: { ...alice, "content-type": "text/plain" }, body: "x" },
      415,
      "unsupported_media_type",
    ],
    ["no identity", { method: "POST", headers: json, body: line }, 401, "unauthenticated"],
    [
      "no catalog to price the order (no NATS: the in-process bus has no catalog)",
      { method: "POST", headers: { ...alice, ...json }, body: line },
      503,
      "unavailable",
    ],
  ];
  for (const [name, init, status, code] of bad) {
    test(`placing with ${name} answers ${status} problem+json and writes nothing`, async () => {
      const before = await snapshot();
      const res = await fetch(`${smoke.app.url}/orders`, init);
      expect(res.status).toBe(status);
      expect(res.headers.get("content-type")).toBe("application/problem+json");
      const body = (await res.json()) as { code: string; requestId: string };
      expect(body.code).toBe(code);
      expect(body.requestId).toBe(res.headers.get("x-request-id")!);
      expect(await snapshot()).toEqual(before);
    });
  }
});
