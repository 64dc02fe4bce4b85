import { describe, expect, it } from "bun:test";
import { z } from "@hono/zod-openapi";
import { defineContract } from "../endpoint/contract.ts";
import { kitchenSink, nothing, oddShapes } from "./fixtures.ts";
import { applyLock, emptyLock } from "./lock.ts";
import { type ProtoField, protoModelOf } from "./model.ts";
import { renderProto } from "./render.ts";

const model = protoModelOf("shop", [kitchenSink, oddShapes, nothing]);
const request = model.rpcs.find((r) => r.name === "SinksPut")!.request;
const field = (name: string): ProtoField => request.fields.find((f) => f.name === name)!;
const typeOf = (f: ProtoField) =>
  f.type.kind === "scalar" ? f.type.scalar : f.type.kind === "map" ? `map:${f.type.value.kind}` : f.type.kind;

describe("the proto model of a contract", () => {
  it("names the package, service, rpcs and their messages by the documented rule", () => {
    expect(model.packageName).toBe("shop.shop.v1");
    expect(model.serviceName).toBe("ShopService");
    expect(model.rpcs.map((r) => [r.name, r.request.name, r.response.name])).toEqual([
      ["SinksDrop", "SinksDropRequest", "SinksDropResponse"],
      ["SinksList", "SinksListRequest", "SinksListResponse"],
      ["SinksPut", "SinksPutRequest", "SinksPutResponse"],
    ]);
  });

  it("maps every JSON Schema kind to the type of the mapping table", () => {
    const kinds = Object.fromEntries(
      request.fields.map((f) => [f.name, `${f.repeated ? "repeated " : ""}${typeOf(f)}`]),
    );
    expect(kinds).toEqual({
      id: "string",
      at: "string",
      note: "string",
      count: "int32",
      big: "int64",
      ratio: "double",
      on: "bool",
      status: "enum",
      maybe_status: "enum",
      tags: "repeated string",
      lines: "repeated message",
      owner: "message",
      gone: "string",
      either: "value",
      meta: "struct",
      counts: "map:scalar",
      shape: "value",
      grid: "repeated value",
      anything: "value",
      access_token: "string",
    });
    expect(model.imports).toEqual(["google/protobuf/struct.proto"]);
  });

  it("marks optional and nullable fields with proto3 optional and says how an absent one reads", () => {
    expect([field("note").optional, field("note").absent]).toEqual([true, "undefined"]);
    expect([field("gone").optional, field("gone").absent]).toEqual([true, "null"]);
    expect([field("id").optional, field("id").absent]).toEqual([false, "default"]);
    expect([field("lines").optional, field("lines").absent]).toEqual([false, "undefined"]);
    const owner = field("owner").type;
    const email = owner.kind === "message" ? owner.message.fields.find((f) => f.name === "email") : undefined;
    expect(email?.absent).toBe("null");
  });

  it("prefixes enum values with the enum's name and keeps the contract's strings beside them", () => {
    const status = request.enums.find((e) => e.name === "Status")!;
    expect(status.values.map((v) => [v.name, v.json])).toEqual([
      ["STATUS_ORDER_PLACED", "order-placed"],
      ["STATUS_PAID", "paid"],
    ]);
    expect(request.messages.map((m) => m.path)).toEqual(["SinksPutRequest.Line", "SinksPutRequest.Owner"]);
  });

  it("carries a non-object output in `value` and a void output as an empty message", () => {
    const list = model.rpcs.find((r) => r.name === "SinksList")!.response;
    expect(list.shape).toBe("wrapped");
    expect(list.fields.map((f) => [f.name, f.repeated, typeOf(f)])).toEqual([["value", true, "string"]]);
    expect(model.rpcs.find((r) => r.name === "SinksDrop")!.response.shape).toBe("empty");
  });

  it("renders uuid and date-time as commented strings, and json_name only where protobuf's own differs", () => {
    applyLock(model, emptyLock());
    const text = renderProto(model, "x.lock.json");
    expect(text).toContain("  // Format: a UUID (string).\n  string id = 1;");
    expect(text).toContain("// Format: an RFC 3339 date-time");
    expect(text).toContain('string access_token = 20 [json_name = "access_token"];');
    expect(text).toContain("optional string note = 3;");
    expect(text).toContain('    STATUS_UNSPECIFIED = 0;\n    // "order-placed"\n    STATUS_ORDER_PLACED = 1;');
    expect(text).not.toContain('json_name = "maybeStatus"');
  });

  it("never throws on schemas JSON Schema cannot say, and falls back to google.protobuf.Value", () => {
    type Node = { name: string; children: Node[] };
    const tree: z.ZodType<Node> = z.lazy(() => z.object({ name: z.string(), children: z.array(tree) }));
    const odd = defineContract({
      name: "odd.things.get",
      summary: "Odd things",
      input: z.object({
        when: z.date(),
        n: z.bigint(),
        pair: z.tuple([z.string(), z.number()]),
        set: z.set(z.string()),
        tree,
        code: z.literal(3),
        kind: z.discriminatedUnion("type", [
          z.object({ type: z.literal("a"), a: z.string() }),
          z.object({ type: z.literal("b"), b: z.number() }),
        ]),
        trimmed: z.string().transform((s) => s.trim()),
      }),
      output: z.string().nullable(),
      errors: [],
      idempotent: true,
    });
    const m = protoModelOf("odd", [odd]);
    applyLock(m, emptyLock());
    const text = renderProto(m, "odd.lock.json");
    expect(text).toContain("google.protobuf.Value when = 1;");
    expect(text).toContain("google.protobuf.Value kind = 7;");
    expect(text).toContain("message ThingsGetResponse");
  });

  it("refuses two contracts that map to one rpc name", () => {
    const a = { ...nothing, name: "shop.a.b" };
    const b = { ...nothing, name: "shop.aB" };
    expect(() => protoModelOf("shop", [a, b])).toThrow(/both map to rpc AB/);
  });
});
