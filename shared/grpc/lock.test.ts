import { describe, expect, it } from "bun:test";
import { z } from "@hono/zod-openapi";
import { defineContract } from "../endpoint/contract.ts";
import { generateProto } from "./generate.ts";
import { emptyLock, parseLock, renderLock } from "./lock.ts";

const contractWith = (input: z.ZodObject, status: readonly [string, ...string[]] = ["held", "released"]) =>
  defineContract({
    name: "stock.reservations.put",
    summary: "Put a reservation",
    input,
    output: z.object({ status: z.enum(status), lines: z.array(z.object({ sku: z.string(), qty: z.number() })) }),
    errors: [],
    idempotent: true,
  });

const v1 = contractWith(z.object({ orderId: z.uuid(), note: z.string(), qty: z.number().int() }));

describe("the field-number lockfile", () => {
  const first = generateProto("stock", [v1], emptyLock());

  it("numbers fields in schema order the first time, enum values from 1", () => {
    expect(first.lock.messages.ReservationsPutRequest).toEqual({
      numbers: { order_id: 1, note: 2, qty: 3 },
      reserved: {},
    });
    expect(first.lock.enums["ReservationsPutResponse.Status"]?.numbers).toEqual({ STATUS_HELD: 1, STATUS_RELEASED: 2 });
    expect(first.text).toContain("string note = 2;");
  });

  it("keeps every existing number when a field is added before the others, and gives it the next free one", () => {
    const v2 = contractWith(
      z.object({ added: z.boolean(), orderId: z.uuid(), note: z.string(), qty: z.number().int() }),
    );
    const second = generateProto("stock", [v2], first.lock);
    expect(second.lock.messages.ReservationsPutRequest?.numbers).toEqual({ order_id: 1, note: 2, qty: 3, added: 4 });
    expect(second.text).toContain("string order_id = 1;");
    expect(second.text).toContain("bool added = 4;");
  });

  it("reserves the number and the name of a removed field, and never gives the number again", () => {
    const v2 = contractWith(z.object({ orderId: z.uuid(), qty: z.number().int() }));
    const second = generateProto("stock", [v2], first.lock);
    expect(second.lock.messages.ReservationsPutRequest).toEqual({
      numbers: { order_id: 1, qty: 3 },
      reserved: { note: 2 },
    });
    expect(second.text).toContain('  reserved 2;\n  reserved "note";\n');
    const v3 = contractWith(z.object({ orderId: z.uuid(), qty: z.number().int(), other: z.string() }));
    const third = generateProto("stock", [v3], second.lock);
    expect(third.lock.messages.ReservationsPutRequest?.numbers.other).toBe(4);
  });

  it("gives a field that comes back under its old name its old number", () => {
    const removed = generateProto(
      "stock",
      [contractWith(z.object({ orderId: z.uuid(), qty: z.number().int() }))],
      first.lock,
    );
    const back = generateProto("stock", [v1], removed.lock);
    expect(back.lock.messages.ReservationsPutRequest).toEqual(first.lock.messages.ReservationsPutRequest!);
    expect(back.text).toBe(first.text);
  });

  it("keeps enum value numbers, reserving a removed value and numbering a new one after all", () => {
    const changed = contractWith(z.object({ orderId: z.uuid(), note: z.string(), qty: z.number().int() }), [
      "expired",
      "released",
    ]);
    const second = generateProto("stock", [changed], first.lock);
    expect(second.lock.enums["ReservationsPutResponse.Status"]).toEqual({
      numbers: { STATUS_RELEASED: 2, STATUS_EXPIRED: 3 },
      reserved: { STATUS_HELD: 1 },
    });
    expect(second.text).toContain('    reserved 1;\n    reserved "STATUS_HELD";\n');
  });

  it("regenerates byte for byte from its own lockfile", () => {
    const again = generateProto("stock", [v1], parseLock(renderLock(first.lock), "stock.lock.json"));
    expect(again.text).toBe(first.text);
    expect(renderLock(again.lock)).toBe(renderLock(first.lock));
  });

  it("skips the numbers protobuf keeps for itself", () => {
    const lock = emptyLock();
    lock.messages.ReservationsPutRequest = { numbers: { order_id: 1 }, reserved: { old: 18_999 } };
    const next = generateProto("stock", [v1], lock);
    expect(next.lock.messages.ReservationsPutRequest?.numbers).toEqual({ order_id: 1, note: 20_000, qty: 20_001 });
  });

  it("refuses a file that is not a lockfile", () => {
    expect(() => parseLock('{"messages": []}', "x.lock.json")).toThrow(/x.lock.json is not a proto lockfile/);
  });
});
