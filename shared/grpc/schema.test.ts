import { describe, expect, it } from "bun:test";
import { AppError } from "../errors/index.ts";
import { kitchenSink, nothing, oddShapes } from "./fixtures.ts";
import { generateProto } from "./generate.ts";
import { emptyLock } from "./lock.ts";
import { grpcServiceSchemaOf } from "./schema.ts";

const contracts = [kitchenSink, oddShapes, nothing];
const { text } = generateProto("shop", contracts, emptyLock());
const schema = grpcServiceSchemaOf("shop", contracts, text);
const method = (name: string) => schema.methods.find((m) => m.name === name)!;
const put = method("SinksPut");

const full = {
  id: "0190d9a4-6b1e-7c3a-9f51-2b9d3c4e5f60",
  at: "2024-01-31T12:00:00.000Z",
  note: "",
  count: 0,
  big: 9_007_199_254_740_991,
  ratio: -1.5,
  on: false,
  status: "order-placed",
  maybeStatus: "b",
  tags: ["a", "b"],
  lines: [{ productId: "0190d9a4-6b1e-7c3a-9f51-2b9d3c4e5f61", quantity: 2 }],
  owner: { name: "Ann", email: null },
  gone: "still here",
  either: null,
  meta: { a: 1, b: [true, null, "x", { c: 2.5 }] },
  counts: { x: 3 },
  shape: 7,
  grid: [[1, 2], []],
  anything: { any: ["thing"] },
  access_token: "t",
};

const errorOf = (fn: () => unknown): unknown => {
  try {
    fn();
  } catch (err) {
    return err;
  }
  return undefined;
};

describe("grpcServiceSchemaOf", () => {
  it("names the package, the service and each method's path", () => {
    expect([schema.packageName, schema.serviceName]).toEqual(["shop.shop.v1", "ShopService"]);
    expect(schema.methods.map((m) => [m.path, m.contract.name])).toEqual([
      ["/shop.shop.v1.ShopService/SinksDrop", "shop.sinks.drop"],
      ["/shop.shop.v1.ShopService/SinksList", "shop.sinks.list"],
      ["/shop.shop.v1.ShopService/SinksPut", "shop.sinks.put"],
    ]);
  });

  it("round-trips every kind of field, zero values, explicit nulls and free-form JSON included", () => {
    expect(put.decodeRequest(put.encodeRequest(full))).toEqual(full);
    expect(kitchenSink.input.safeParse(put.decodeRequest(put.encodeRequest(full))).success).toBe(true);
  });

  it("leaves optional keys out, reads required nullable ones back as null and required scalars as zero values", () => {
    const minimal = {
      ...full,
      note: undefined,
      maybeStatus: undefined,
      lines: undefined,
      either: undefined,
      gone: null,
    };
    const back = put.decodeRequest(put.encodeRequest(minimal)) as Record<string, unknown>;
    expect(back).toEqual(JSON.parse(JSON.stringify(minimal)));
    expect("note" in back).toBe(false);
    expect(back.gone).toBeNull();
    expect(put.decodeRequest(new Uint8Array())).toEqual({
      id: "",
      at: "",
      count: 0,
      big: 0,
      ratio: 0,
      on: false,
      tags: [],
      gone: null,
      counts: {},
      grid: [],
      access_token: "",
    });
  });

  it("sends enums as their numbers and reads an unset or unknown one so validation names the field", () => {
    const bytes = put.encodeRequest({ ...full, status: "paid" });
    expect((put.decodeRequest(bytes) as { status: string }).status).toBe("paid");
    const unset = put.decodeRequest(new Uint8Array()) as Record<string, unknown>;
    expect("status" in unset).toBe(false);
    const parsed = kitchenSink.input.safeParse(unset);
    expect(parsed.error?.issues.some((i) => i.path[0] === "status")).toBe(true);
    // field 8 (status) = 9, a number the enum does not have
    expect((put.decodeRequest(new Uint8Array([0x40, 0x09])) as { status: unknown }).status).toBe(9);
  });

  it("carries a non-object output in `value` and a void output as no bytes", () => {
    const list = method("SinksList");
    const ids = ["0190d9a4-6b1e-7c3a-9f51-2b9d3c4e5f60"];
    expect(list.decodeResponse(list.encodeResponse(ids))).toEqual(ids);
    expect(list.decodeRequest(list.encodeRequest({}))).toEqual({});
    const drop = method("SinksDrop");
    expect(drop.encodeResponse(undefined)).toEqual(new Uint8Array());
    expect(drop.decodeResponse(new Uint8Array())).toBeUndefined();
  });

  it("answers malformed bytes with invalid_argument, never another error", () => {
    for (const bytes of [
      [0x0a, 0xff, 0x01],
      [0xff],
      [0x0a, 0x05, 0x61],
      [0x08, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff],
      [0x07],
    ]) {
      const err = errorOf(() => put.decodeRequest(new Uint8Array(bytes)));
      expect(err).toBeInstanceOf(AppError);
      expect((err as AppError).code).toBe("invalid_argument");
      expect((err as AppError).message).toMatch(/^malformed SinksPutRequest message/);
    }
    expect((errorOf(() => put.decodeResponse(new Uint8Array([0xff]))) as AppError).code).toBe("invalid_argument");
  });

  it("refuses a request value the message cannot carry with invalid_argument, and a response one as a bug", () => {
    const bad = errorOf(() => put.encodeRequest({ ...full, count: "3" }));
    expect(bad).toBeInstanceOf(AppError);
    expect((bad as AppError).message).toBe("SinksPutRequest/count: expected a safe integer");
    expect((errorOf(() => put.encodeRequest({ ...full, status: "lost" })) as AppError).code).toBe("invalid_argument");
    const wrong = errorOf(() => put.encodeResponse({ ok: "yes", when: null }));
    expect(wrong).toBeInstanceOf(Error);
    expect(wrong).not.toBeInstanceOf(AppError);
  });

  it("describes the service's file and struct.proto for reflection", () => {
    expect(schema.fileDescriptorProtos).toHaveLength(2);
    const names = schema.fileDescriptorProtos.map((b) => new TextDecoder().decode(b.subarray(2, 2 + b[1]!)));
    expect(names).toEqual(["shop/shop/v1/shop.proto", "google/protobuf/struct.proto"]);
  });

  it("refuses a proto that lacks what the contracts need, naming each difference", () => {
    const stale = text.replace("int32 count = 4;", "int64 count = 4;").replace(/\n {2}rpc SinksDrop\(.*\n/, "\n");
    expect(() => grpcServiceSchemaOf("shop", contracts, stale)).toThrow(
      /shop\/shop\/v1\/shop.proto does not match the shop contracts \(run `bun run gen`\):\n {2}rpc SinksDrop \(shop.sinks.drop\) is missing\n {2}shop.shop.v1.SinksPutRequest.count is int64 in the proto, int32 in the contract/,
    );
  });

  it("serves a subset of the file's contracts", () => {
    const one = grpcServiceSchemaOf("shop", [nothing], text);
    expect(one.methods.map((m) => m.name)).toEqual(["SinksDrop"]);
    expect(one.fileDescriptorProtos).toHaveLength(2);
  });
});
