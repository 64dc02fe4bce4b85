import { expect, test } from "bun:test";
import { MemoryIdempotencyStore } from "@shared/idempotency";
import { fuzzTextFields } from "@shared/testing/fuzz.ts";
import pino from "pino";
import { createApp } from "./orders.app.ts";
import { MemoryCatalog } from "./orders.catalog.memory.ts";
import { makeOrdersEndpoints } from "./orders.endpoints.ts";
import { MemoryOrdersRepo } from "./orders.repo.memory.ts";
import { OrdersService } from "./orders.service.ts";

test("every string field of every orders operation refuses a NUL and a lone surrogate with 400 naming it", async () => {
  const app = createApp({
    endpoints: makeOrdersEndpoints(
      new OrdersService(new MemoryOrdersRepo(), new MemoryCatalog(), { pendingTimeoutMs: 30_000 }),
    ),
    logger: pino({ level: "silent" }),
    version: "9.9.9",
    idempotency: new MemoryIdempotencyStore(),
  });
  const report = await fuzzTextFields(app, {
    headers: {
      "x-user-id": "0190d9a4-6b1e-7c3a-9f51-2b9d3c4e5f01",
      "x-user-roles": "admin",
    },
  });
  expect(report.failures).toEqual([]);
  expect(report.operations).toBe(5);
  expect(report.requests).toBeGreaterThan(10);
});
