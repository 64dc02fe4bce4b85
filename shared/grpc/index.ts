export { callContextOf, errorOfStatus, metadataOf, problemTrailer, statusOfFailure } from "./call.ts";
export { fileDescriptorOf } from "./descriptor.ts";
export {
  decodeHealthRequest,
  decodeHealthResponse,
  encodeHealthRequest,
  type GrpcHealth,
  grpcHealth,
  servingStatus,
} from "./health.ts";
export { addReflection, answerReflection, indexDescriptors } from "./reflection.ts";
export { type GrpcServer, type GrpcServerOptions, serveGrpc } from "./server.ts";
export type { GrpcMethod, GrpcServiceSchema } from "./service-schema.ts";
export { type GrpcTransport, grpcTransport } from "./transport.ts";
