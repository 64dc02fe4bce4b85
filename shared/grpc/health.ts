// grpc.health.v1.Health (Check and Watch), answered from the service's readiness.
import {
  type Server,
  type ServerUnaryCall,
  type ServerWritableStream,
  type sendUnaryData,
  status,
} from "@grpc/grpc-js";
import protobuf, { Reader, Writer } from "protobufjs";
import { checkReadiness, type ReadinessOptions } from "../health/index.ts";
import { bytesMethod } from "./call.ts";
import { fileDescriptorOf } from "./descriptor.ts";
import { parseFile } from "./schema.ts";

const healthProto = `syntax = "proto3";
package grpc.health.v1;
message HealthCheckRequest { string service = 1; }
message HealthCheckResponse {
  enum ServingStatus { UNKNOWN = 0; SERVING = 1; NOT_SERVING = 2; SERVICE_UNKNOWN = 3; }
  ServingStatus status = 1;
}
service Health {
  rpc Check(HealthCheckRequest) returns (HealthCheckResponse);
  rpc Watch(HealthCheckRequest) returns (stream HealthCheckResponse);
}
`;

/** `HealthCheckResponse.ServingStatus`. */
export const servingStatus = { SERVING: 1, NOT_SERVING: 2, SERVICE_UNKNOWN: 3 } as const;
type ServingStatus = (typeof servingStatus)[keyof typeof servingStatus];

/** `HealthCheckRequest.service` of encoded bytes; malformed bytes throw. */
export function decodeHealthRequest(bytes: Uint8Array): string {
  const reader = Reader.create(bytes);
  let service = "";
  while (reader.pos < reader.len) {
    const tag = reader.uint32();
    if (tag >>> 3 === 1 && (tag & 7) === 2) service = reader.string();
    else reader.skipType(tag & 7);
  }
  return service;
}

/** An encoded `HealthCheckRequest` (the client's side, for probes and tests). */
export function encodeHealthRequest(service: string): Uint8Array {
  return service ? Writer.create().uint32(10).string(service).finish() : new Uint8Array();
}

/** The status of an encoded `HealthCheckResponse`. */
export function decodeHealthResponse(bytes: Uint8Array): number {
  const reader = Reader.create(bytes);
  let value = 0;
  while (reader.pos < reader.len) {
    const tag = reader.uint32();
    if (tag === 8) value = reader.int32();
    else reader.skipType(tag & 7);
  }
  return value;
}

const encodeResponse = (value: ServingStatus) => Writer.create().uint32(8).int32(value).finish();
const method = (name: string, responseStream: boolean) =>
  bytesMethod(`/grpc.health.v1.Health/${name}`, name, { responseStream });

/** The encoded FileDescriptorProto of `grpc/health/v1/health.proto`, for reflection. */
function healthDescriptor(): Uint8Array {
  const name = "grpc/health/v1/health.proto";
  const root = new protobuf.Root();
  parseFile(root, name, healthProto);
  root.resolveAll();
  return fileDescriptorOf(root, { name, packageName: "grpc.health.v1", dependencies: [], syntax: "proto3" });
}

/** The health service of one gRPC listener. */
export interface GrpcHealth {
  addTo(server: Server): void;
  /** Ends every Watch (a draining server must not wait for them). */
  stop(): void;
  /** Its descriptor, for reflection. */
  readonly fileDescriptorProto: Uint8Array;
}

/**
 * `grpc.health.v1.Health` for the empty service name and each of `services`: SERVING while readiness is
 * ok, NOT_SERVING while a check fails or the server drains; an unknown name is NOT_FOUND (Check) or
 * SERVICE_UNKNOWN (Watch). Watch answers at once, then again on each change (polled every `watchEveryMs`).
 */
export function grpcHealth(options: {
  services: readonly string[];
  readiness: ReadinessOptions;
  watchEveryMs?: number;
}): GrpcHealth {
  const known = new Set(["", ...options.services]);
  const watches = new Set<ServerWritableStream<Buffer, Uint8Array>>();
  const current = async (): Promise<ServingStatus> =>
    (await checkReadiness(options.readiness)).status === "ok" ? servingStatus.SERVING : servingStatus.NOT_SERVING;
  const timers = new Set<Timer>();

  const check = (call: ServerUnaryCall<Buffer, Uint8Array>, callback: sendUnaryData<Uint8Array>) => {
    let service: string;
    try {
      service = decodeHealthRequest(call.request);
    } catch {
      callback({ code: status.INVALID_ARGUMENT, details: "Malformed HealthCheckRequest" });
      return;
    }
    if (!known.has(service)) {
      callback({ code: status.NOT_FOUND, details: `unknown service ${service}` });
      return;
    }
    void current().then((value) => callback(null, encodeResponse(value)));
  };

  const watch = (call: ServerWritableStream<Buffer, Uint8Array>) => {
    let service: string;
    try {
      service = decodeHealthRequest(call.request);
    } catch {
      call.emit("error", { code: status.INVALID_ARGUMENT, details: "Malformed HealthCheckRequest" });
      return;
    }
    watches.add(call);
    if (!known.has(service)) {
      // the spec keeps the stream open: the service may be known later (here it never is, until the drain ends it)
      call.write(encodeResponse(servingStatus.SERVICE_UNKNOWN));
      call.on("cancelled", () => watches.delete(call));
      return;
    }
    let last = 0;
    let timer: Timer | undefined;
    const end = () => {
      clearTimeout(timer);
      if (timer) timers.delete(timer);
      watches.delete(call);
    };
    call.on("cancelled", end);
    const send = async () => {
      const value = await current();
      if (!watches.has(call)) return;
      if (value !== last) call.write(encodeResponse(value));
      last = value;
      if (timer) timers.delete(timer);
      timer = setTimeout(send, options.watchEveryMs ?? 5000);
      timers.add(timer);
    };
    void send();
  };

  return {
    fileDescriptorProto: healthDescriptor(),
    addTo(server) {
      server.addService(
        { Check: method("Check", false), Watch: method("Watch", true) },
        { Check: check, Watch: watch },
      );
    },
    stop() {
      for (const t of timers) clearTimeout(t);
      for (const call of watches) {
        call.write(encodeResponse(servingStatus.NOT_SERVING));
        call.end();
      }
      watches.clear();
    },
  };
}
