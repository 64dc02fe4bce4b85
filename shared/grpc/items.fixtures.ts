// The gRPC schema of the endpoint fixtures, for this folder's tests: proto generated from the contract,
// codec from grpcServiceSchemaOf, as a service gets them.
import type { EndpointContract } from "../endpoint/contract.ts";
import { itemsGet } from "../endpoint/fixtures.ts";
import { generateProto } from "./generate.ts";
import { emptyLock } from "./lock.ts";
import { rpcNameOf } from "./naming.ts";
import { type GrpcServiceSchema, grpcServiceSchemaOf } from "./schema.ts";

/** The schema of `itemsGet` (or a copy with another name) in the `test` service (`shop.test.v1.TestService`). */
export function itemsSchema(contract: EndpointContract = itemsGet): GrpcServiceSchema {
  const { text } = generateProto("test", [contract], emptyLock());
  return grpcServiceSchemaOf("test", [contract], text);
}

/** The path of the fixture contract's rpc. */
export function itemsPath(contract: EndpointContract = itemsGet): string {
  return `/shop.test.v1.TestService/${rpcNameOf("test", contract.name)}`;
}
