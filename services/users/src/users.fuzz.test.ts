import { expect, test } from "bun:test";
import { fuzzTextFields } from "@shared/testing/fuzz.ts";
import pino from "pino";
import { createApp } from "./users.app.ts";
import { makeUsersEndpoints } from "./users.endpoints.ts";
import { MemoryUsersRepo } from "./users.repo.memory.ts";
import { UsersService } from "./users.service.ts";

test("every string field of every users operation refuses a NUL and a lone surrogate with 400 naming it", async () => {
  const users = new UsersService(new MemoryUsersRepo());
  const app = createApp({ endpoints: makeUsersEndpoints(users), logger: pino({ level: "silent" }), version: "9.9.9" });
  const report = await fuzzTextFields(app, {
    headers: {
      "x-user-id": "0190d9a4-6b1e-7c3a-9f51-2b9d3c4e5f01",
      "x-user-roles": "admin",
    },
  });
  expect(report.failures).toEqual([]);
  expect(report.operations).toBe(4);
  expect(report.requests).toBeGreaterThan(10);
});
