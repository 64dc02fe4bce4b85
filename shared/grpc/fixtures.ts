// Contracts used by this folder's tests: one field of each kind the mapping knows.
import { z } from "@hono/zod-openapi";
import { defineContract } from "../endpoint/contract.ts";

/** Every mapping at once: enums, optional, nullable, lists, nested objects, maps, free-form JSON, fallbacks. */
export const kitchenSink = defineContract({
  name: "shop.sinks.put",
  summary: "Put a sink",
  input: z.object({
    id: z.uuid(),
    at: z.iso.datetime(),
    note: z.string().optional(),
    count: z.number().int().min(0).max(1000),
    big: z.number().int().describe("a safe integer"),
    ratio: z.number(),
    on: z.boolean(),
    status: z.enum(["order-placed", "paid"]),
    maybeStatus: z.enum(["a", "b"]).optional(),
    tags: z.array(z.string()),
    lines: z.array(z.object({ productId: z.uuid(), quantity: z.number().int().min(1).max(10) })).optional(),
    owner: z.object({ name: z.string(), email: z.email().nullable() }),
    gone: z.string().nullable(),
    either: z.string().nullable().optional(),
    meta: z.record(z.string(), z.unknown()),
    counts: z.record(z.string(), z.number().int().min(0).max(5)),
    shape: z.union([z.string(), z.number()]),
    grid: z.array(z.array(z.number())),
    anything: z.unknown(),
    access_token: z.string(),
  }),
  output: z.object({ ok: z.boolean(), when: z.string().nullable() }),
  errors: ["invalid_argument"],
  idempotent: false,
});

/** An output that is no object, and one that is nothing. */
export const oddShapes = defineContract({
  name: "shop.sinks.list",
  summary: "List sink ids",
  input: z.object({}),
  output: z.array(z.uuid()),
  errors: [],
  idempotent: true,
});

/** `z.void()` output: an empty response message. */
export const nothing = defineContract({
  name: "shop.sinks.drop",
  summary: "Drop a sink",
  input: z.object({ id: z.uuid() }),
  output: z.void(),
  errors: ["not_found"],
  idempotent: true,
});
