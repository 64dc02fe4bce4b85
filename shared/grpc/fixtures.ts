// A gRPC schema of the endpoint fixtures for this folder's tests, with a small hand-written codec.
import { Reader, Writer } from "protobufjs";
import type { EndpointContract } from "../endpoint/contract.ts";
import { itemsGet } from "../endpoint/fixtures.ts";
import { AppError } from "../errors/index.ts";
import { fileDescriptorOf } from "./descriptor.ts";
import type { GrpcMethod, GrpcServiceSchema } from "./service-schema.ts";

/** The proto the fixture codec speaks. */
export const itemsProto = `syntax = "proto3";
package test.items.v1;
message GetItemRequest { string id = 1; bool verbose = 2; }
message GetItemResponse { string id = 1; string owner = 2; bool verbose = 3; }
service ItemsService { rpc GetItem(GetItemRequest) returns (GetItemResponse); }
`;

type Field = { n: number; kind: "string" | "bool" };

function encode(fields: Record<string, Field>, value: unknown): Uint8Array {
  const w = Writer.create();
  const v = value as Record<string, unknown>;
  for (const [name, f] of Object.entries(fields)) {
    if (f.kind === "string" && typeof v[name] === "string" && v[name]) w.uint32((f.n << 3) | 2).string(v[name]);
    if (f.kind === "bool" && v[name] === true) w.uint32(f.n << 3).bool(true);
  }
  return w.finish();
}

function decode(fields: Record<string, Field>, bytes: Uint8Array): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  try {
    const r = Reader.create(bytes);
    while (r.pos < r.len) {
      const tag = r.uint32();
      const entry = Object.entries(fields).find(([, f]) => f.n === tag >>> 3);
      if (!entry) r.skipType(tag & 7);
      else out[entry[0]] = entry[1].kind === "string" ? r.string() : r.bool();
    }
  } catch (cause) {
    throw new AppError("invalid_argument", "Malformed protobuf message", { cause });
  }
  return out;
}

const request = { id: { n: 1, kind: "string" }, verbose: { n: 2, kind: "bool" } } as const;
const response = {
  id: { n: 1, kind: "string" },
  owner: { n: 2, kind: "string" },
  verbose: { n: 3, kind: "bool" },
} as const;

/** The schema of `itemsGet` (or a copy with another name) as `GetItem` of `test.items.v1.ItemsService`. */
export function itemsSchema(contract: EndpointContract = itemsGet): GrpcServiceSchema {
  const method: GrpcMethod = {
    name: "GetItem",
    path: "/test.items.v1.ItemsService/GetItem",
    contract,
    decodeRequest: (b) => decode(request, b),
    encodeRequest: (v) => encode(request, v),
    decodeResponse: (b) => ({ verbose: false, ...decode(response, b) }),
    encodeResponse: (v) => encode(response, v),
  };
  return {
    packageName: "test.items.v1",
    serviceName: "ItemsService",
    methods: [method],
    fileDescriptorProtos: [fileDescriptorOf("test/items/v1/items.proto", itemsProto)],
  };
}
