export { contractsIn, type GeneratedProto, generateProto, lockPathOf } from "./generate.ts";
export { applyLock, emptyLock, type LockEntry, type ProtoLock, parseLock, renderLock } from "./lock.ts";
export { type ProtoFileModel, protoModelOf } from "./model.ts";
export {
  packageNameOf,
  protoFileNameOf,
  protoPathOf,
  rpcNameOf,
  serviceNameOf,
} from "./naming.ts";
export { type GrpcMethod, type GrpcServiceSchema, grpcServiceSchemaOf } from "./schema.ts";
