import { expect, test } from "bun:test";
import { fuzzTextFields } from "@shared/testing/fuzz.ts";
import pino from "pino";
import { createApp } from "./auth.app.ts";
import { makeAuthEndpoints } from "./auth.endpoints.ts";
import { makeAuth } from "./auth.testing.ts";

test("every string field of every auth operation refuses a NUL and a lone surrogate with 400 naming it", async () => {
  const ctx = await makeAuth();
  const root = await ctx.auth.bootstrapAdmin("root@example.com", "Sufficient-pass1");
  const app = createApp({
    endpoints: makeAuthEndpoints(ctx.auth, ctx.keys),
    logger: pino({ level: "silent" }),
    version: "9.9.9",
  });
  const report = await fuzzTextFields(app, {
    headers: { "x-user-id": root.id, "x-user-roles": "admin" },
    // Granting and revoking one role at once is refused whatever the strings hold.
    bodies: { "auth.roles.change": { grant: ["admin"] } },
  });
  expect(report.failures).toEqual([]);
  expect(report.operations).toBe(7);
  expect(report.requests).toBeGreaterThan(10);
});
