import type { EndpointContract } from "../endpoint/contract.ts";

/** One rpc of a service: the contract it serves and the codecs of its messages. */
export interface GrpcMethod {
  /** The rpc name, e.g. `GetProduct`. */
  name: string;
  /** `/shop.catalog.v1.CatalogService/GetProduct`. */
  path: string;
  contract: EndpointContract;
  /** Protobuf bytes -> the contract input's JSON shape (zod validates after); malformed bytes throw `invalid_argument`. */
  decodeRequest(bytes: Uint8Array): unknown;
  encodeRequest(input: unknown): Uint8Array;
  decodeResponse(bytes: Uint8Array): unknown;
  encodeResponse(output: unknown): Uint8Array;
}

/** A service's rpcs and the descriptors reflection serves. */
export interface GrpcServiceSchema {
  packageName: string;
  serviceName: string;
  methods: GrpcMethod[];
  /** The service's file and its imports, encoded `FileDescriptorProto`s. */
  fileDescriptorProtos: Uint8Array[];
}
