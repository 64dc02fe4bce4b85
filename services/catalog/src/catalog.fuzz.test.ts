import { expect, test } from "bun:test";
import { MemoryIdempotencyStore } from "@shared/idempotency";
import { fuzzTextFields } from "@shared/testing/fuzz.ts";
import pino from "pino";
import { createApp } from "./catalog.app.ts";
import { makeCatalogEndpoints } from "./catalog.endpoints.ts";
import { MemoryCatalogRepo } from "./catalog.repo.memory.ts";
import { CatalogService } from "./catalog.service.ts";

test("every string field of every catalog operation refuses a NUL and a lone surrogate with 400 naming it", async () => {
  const app = createApp({
    endpoints: makeCatalogEndpoints(new CatalogService(new MemoryCatalogRepo())),
    logger: pino({ level: "silent" }),
    version: "9.9.9",
    cache: { listMaxAgeSec: 15, itemMaxAgeSec: 45 },
    idempotency: new MemoryIdempotencyStore(),
  });
  const report = await fuzzTextFields(app, {
    headers: {
      "x-user-id": "0190d9a4-6b1e-7c3a-9f51-2b9d3c4e5f01",
      "x-user-roles": "admin",
    },
  });
  expect(report.failures).toEqual([]);
  expect(report.operations).toBe(8);
  expect(report.requests).toBeGreaterThan(20);
});
