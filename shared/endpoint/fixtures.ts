// A tiny contract and endpoint used by this folder's tests.
import { z } from "@hono/zod-openapi";
import { AppError } from "../errors/index.ts";
import { defineContract, implement } from "./contract.ts";

/** A test contract: reads an item by id, owner or admin only. */
export const itemsGet = defineContract({
  name: "test.items.get",
  summary: "Get an item",
  input: z.object({ id: z.string().min(1), verbose: z.coerce.boolean().optional() }),
  output: z.object({ id: z.string(), owner: z.string(), verbose: z.boolean() }),
  errors: ["invalid_argument", "not_found", "permission_denied"],
  idempotent: true,
});

/** Owners of the fixture items (the HTTP identity headers carry UUIDs). */
export const U1 = "0190d9a4-6b1e-7c3a-9f51-0000000000a1";
export const U2 = "0190d9a4-6b1e-7c3a-9f51-0000000000b2";

/** Serves `itemsGet` from a fixed table; `calls` counts handler runs. */
export function itemsEndpoint(items: Record<string, string> = { a: U1, b: U2 }) {
  const calls = { n: 0 };
  const endpoint = implement(itemsGet, async (input, ctx) => {
    calls.n++;
    const owner = items[input.id];
    if (!owner) throw new AppError("not_found", `item ${input.id} not found`);
    if (ctx.identity?.userId !== owner && !ctx.identity?.roles.includes("admin")) {
      throw new AppError("permission_denied", "not your item");
    }
    return { id: input.id, owner, verbose: input.verbose ?? false };
  });
  return { endpoint, calls };
}
