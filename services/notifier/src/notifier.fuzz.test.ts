import { expect, test } from "bun:test";
import { fuzzTextFields } from "@shared/testing/fuzz.ts";
import pino from "pino";
import { createApp } from "./notifier.app.ts";
import { makeNotifierEndpoints } from "./notifier.endpoints.ts";
import { MemoryNotifierRepo } from "./notifier.repo.memory.ts";
import { NotifierService } from "./notifier.service.ts";

test("every string field of every notifier operation refuses a NUL and a lone surrogate with 400 naming it", async () => {
  const app = createApp({
    endpoints: makeNotifierEndpoints(new NotifierService(new MemoryNotifierRepo())),
    logger: pino({ level: "silent" }),
    version: "9.9.9",
  });
  const report = await fuzzTextFields(app, {
    headers: {
      "x-user-id": "0190d9a4-6b1e-7c3a-9f51-2b9d3c4e5f01",
      "x-user-roles": "user",
    },
  });
  expect(report.failures).toEqual([]);
  expect(report.operations).toBe(2);
  expect(report.requests).toBeGreaterThan(2);
});
