export { callContextOf, errorOfStatus, metadataOf, problemTrailer, statusOfFailure } from "./call.ts";
export { contractsIn, type GeneratedProto, generateProto, lockPathOf } from "./generate.ts";
export {
  decodeHealthRequest,
  decodeHealthResponse,
  encodeHealthRequest,
  type GrpcHealth,
  grpcHealth,
  servingStatus,
} from "./health.ts";
export { applyLock, emptyLock, type LockEntry, type ProtoLock, parseLock, renderLock } from "./lock.ts";
export { type ProtoFileModel, protoModelOf } from "./model.ts";
export {
  packageNameOf,
  protoFileNameOf,
  protoPathOf,
  rpcNameOf,
  serviceNameOf,
} from "./naming.ts";
export { addReflection, answerReflection, indexDescriptors } from "./reflection.ts";
export { type GrpcMethod, type GrpcServiceSchema, grpcServiceSchemaOf } from "./schema.ts";
export { type GrpcServer, type GrpcServerOptions, serveGrpc } from "./server.ts";
export { type GrpcTransport, grpcTransport } from "./transport.ts";
