// What crosses the gRPC wire around a call: metadata -> CallContext, AppError -> status and trailer.
import { Metadata, type ServiceError } from "@grpc/grpc-js";
import type { CallContext } from "../endpoint/contract.ts";
import { contextOf, errorFromReply } from "../endpoint/wire.ts";
import { AppError, errorCodeOfGrpcStatus, grpcStatusOf, type Problem } from "../errors/index.ts";

/** The trailer carrying the problem document of a failed call (JSON; `-bin`: any bytes may travel). */
export const problemTrailer = "shop-problem-bin";

/** A message grpc-js hands over as it is: the schema's codecs decode it. */
export const passBytes = (b: Buffer): Buffer => b;

/** A message's bytes as the Buffer grpc-js writes, without copying them. */
export const asBuffer = (b: Uint8Array): Buffer => Buffer.from(b.buffer, b.byteOffset, b.byteLength);

/**
 * grpc-js's description of the method at `path` whose messages pass as bytes (the caller encodes and
 * decodes them): what every rpc the kit serves or calls is registered with.
 */
export function bytesMethod(
  path: string,
  originalName: string,
  streams: { requestStream?: boolean; responseStream?: boolean } = {},
) {
  return {
    path,
    requestStream: streams.requestStream ?? false,
    responseStream: streams.responseStream ?? false,
    requestSerialize: asBuffer,
    requestDeserialize: passBytes,
    responseSerialize: asBuffer,
    responseDeserialize: passBytes,
    originalName,
  };
}

/** The first value of a metadata key as text, if any. */
export function metadataValue(metadata: Metadata, name: string): string | undefined {
  const value = metadata.get(name)[0];
  if (value === undefined) return undefined;
  return typeof value === "string" ? value : value.toString("utf8");
}

/**
 * The call context of a gRPC call: request id, trace context and identity from the same names as the
 * HTTP headers and NATS headers, and the deadline from `grpc-timeout` (or `defaultTimeoutMs` from now
 * when the caller sent none).
 */
export function callContextOf(
  metadata: Metadata,
  deadline: Date | number,
  defaultTimeoutMs: number,
): CallContext & { deadline: number } {
  const at = deadline instanceof Date ? deadline.getTime() : deadline;
  const ctx = contextOf((name) => metadataValue(metadata, name));
  return Object.assign(ctx, { deadline: Number.isFinite(at) ? at : Date.now() + defaultTimeoutMs });
}

/** Writes a call context into metadata, with the same names as the NATS headers. */
export function metadataOf(headers: Record<string, string>): Metadata {
  const metadata = new Metadata();
  for (const [name, value] of Object.entries(headers)) metadata.set(name, value);
  return metadata;
}

/** A failed call as grpc-js sends it: the table's status, the problem's detail as message, the problem as trailer. */
export function statusOfFailure(error: AppError, problem: Problem): Partial<ServiceError> {
  const metadata = new Metadata();
  metadata.set(problemTrailer, Buffer.from(JSON.stringify(problem)));
  return { code: grpcStatusOf(error.code), details: problem.detail, metadata };
}

/** The AppError of a failed call: the server's own when its problem came along, else what the bare status means. */
export function errorOfStatus(err: Partial<ServiceError>): AppError {
  const problem = err.metadata?.get(problemTrailer)[0];
  const status = err.code ?? 2;
  const description = err.details ?? err.message ?? "";
  if (problem !== undefined) {
    const body = typeof problem === "string" ? Buffer.from(problem) : problem;
    return errorFromReply(body, status >= 13 ? 503 : 400, description);
  }
  return new AppError(errorCodeOfGrpcStatus(status), `gRPC status ${status}: ${description}`, { cause: err });
}
