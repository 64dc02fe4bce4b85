// gRPC server reflection, v1 and v1alpha (the same messages), answered from embedded FileDescriptorProtos.
import type { Server, ServerDuplexStream } from "@grpc/grpc-js";
import { Reader, Writer } from "protobufjs";
import { grpcStatus } from "../errors/index.ts";
import { bytesMethod } from "./call.ts";
import type { GrpcServiceSchema } from "./schema.ts";

/** What reflection knows: files by name, the file declaring each symbol, the services it lists. */
export interface ReflectionIndex {
  files: Map<string, { bytes: Uint8Array; dependencies: string[] }>;
  symbols: Map<string, string>;
  services: string[];
}

/** Reads the length-delimited and string fields of a message: field number -> values. */
function fieldsOf(bytes: Uint8Array): Map<number, Uint8Array[]> {
  const reader = Reader.create(bytes);
  const fields = new Map<number, Uint8Array[]>();
  while (reader.pos < reader.len) {
    const tag = reader.uint32();
    if ((tag & 7) === 2) {
      const list = fields.get(tag >>> 3) ?? [];
      list.push(reader.bytes());
      fields.set(tag >>> 3, list);
    } else {
      reader.skipType(tag & 7);
    }
  }
  return fields;
}

const text = new TextDecoder();
const str = (fields: Map<number, Uint8Array[]>, n: number) => text.decode(fields.get(n)?.[0] ?? new Uint8Array());
const all = (fields: Map<number, Uint8Array[]>, n: number) => fields.get(n) ?? [];

/** Indexes encoded FileDescriptorProtos: messages (nested too), enums, services and their methods. */
export function indexDescriptors(files: readonly Uint8Array[], services: readonly string[]): ReflectionIndex {
  const index: ReflectionIndex = { files: new Map(), symbols: new Map(), services: [...services] };
  for (const bytes of files) {
    const file = fieldsOf(bytes);
    const name = str(file, 1);
    const pkg = str(file, 2);
    index.files.set(name, { bytes, dependencies: all(file, 3).map((d) => text.decode(d)) });
    const add = (symbol: string) => index.symbols.set(symbol, name);
    const addMessage = (scope: string, message: Uint8Array) => {
      const m = fieldsOf(message);
      const full = `${scope}.${str(m, 1)}`;
      add(full);
      for (const nested of all(m, 3)) addMessage(full, nested);
      for (const e of all(m, 4)) add(`${full}.${str(fieldsOf(e), 1)}`);
    };
    for (const message of all(file, 4)) addMessage(pkg, message);
    for (const e of all(file, 5)) add(`${pkg}.${str(fieldsOf(e), 1)}`);
    for (const service of all(file, 6)) {
      const s = fieldsOf(service);
      const full = `${pkg}.${str(s, 1)}`;
      add(full);
      for (const m of all(s, 2)) add(`${full}.${str(fieldsOf(m), 1)}`);
    }
  }
  return index;
}

/** A file and every file it imports, transitively, each once. */
function withDependencies(index: ReflectionIndex, name: string): Uint8Array[] {
  const seen = new Set<string>();
  const out: Uint8Array[] = [];
  const visit = (n: string) => {
    const file = index.files.get(n);
    if (!file || seen.has(n)) return;
    seen.add(n);
    out.push(file.bytes);
    for (const d of file.dependencies) visit(d);
  };
  visit(name);
  return out;
}

const NOT_FOUND = 5;
const UNIMPLEMENTED = 12;

/** The encoded ServerReflectionResponse to one encoded ServerReflectionRequest. */
export function answerReflection(index: ReflectionIndex, request: Uint8Array): Uint8Array {
  const w = Writer.create();
  const req = fieldsOf(request);
  w.uint32(10).string(str(req, 1));
  w.uint32(18).bytes(request);
  const files = (list: Uint8Array[]) => {
    const fd = Writer.create();
    for (const f of list) fd.uint32(10).bytes(f);
    w.uint32(34).bytes(fd.finish());
  };
  const error = (code: number, message: string) =>
    w.uint32(58).bytes(Writer.create().uint32(8).int32(code).uint32(18).string(message).finish());
  if (req.has(7)) {
    const list = Writer.create();
    for (const name of index.services) list.uint32(10).bytes(Writer.create().uint32(10).string(name).finish());
    w.uint32(50).bytes(list.finish());
  } else if (req.has(3)) {
    const name = str(req, 3);
    if (index.files.has(name)) files(withDependencies(index, name));
    else error(NOT_FOUND, `file ${name} not found`);
  } else if (req.has(4)) {
    const symbol = str(req, 4);
    const file = index.symbols.get(symbol);
    if (file) files(withDependencies(index, file));
    else error(NOT_FOUND, `symbol ${symbol} not found`);
  } else if (req.has(6)) {
    // no extensions are declared: every known message has none
    const type = str(req, 6);
    if (index.symbols.has(type)) w.uint32(42).bytes(Writer.create().uint32(10).string(type).finish());
    else error(NOT_FOUND, `type ${type} not found`);
  } else if (req.has(5)) {
    error(NOT_FOUND, "no extensions are declared");
  } else {
    error(UNIMPLEMENTED, "unknown reflection request");
  }
  return w.finish();
}

/**
 * Adds `grpc.reflection.v1.ServerReflection` and `grpc.reflection.v1alpha.ServerReflection` to a server:
 * they list the schema's service and Health, and answer each symbol or file with its descriptor and imports.
 */
export function addReflection(server: Server, schema: GrpcServiceSchema, healthDescriptor: Uint8Array): void {
  const index = indexDescriptors(
    [...schema.fileDescriptorProtos, healthDescriptor],
    [`${schema.packageName}.${schema.serviceName}`, "grpc.health.v1.Health"],
  );
  const handler = (call: ServerDuplexStream<Buffer, Uint8Array>) => {
    call.on("data", (request: Buffer) => {
      let answer: Uint8Array;
      try {
        answer = answerReflection(index, request);
      } catch {
        call.emit("error", { code: grpcStatus.INVALID_ARGUMENT, details: "Malformed ServerReflectionRequest" });
        return;
      }
      call.write(answer);
    });
    call.on("end", () => call.end());
  };
  for (const version of ["v1", "v1alpha"]) {
    const definition = {
      ServerReflectionInfo: bytesMethod(
        `/grpc.reflection.${version}.ServerReflection/ServerReflectionInfo`,
        "ServerReflectionInfo",
        { requestStream: true, responseStream: true },
      ),
    };
    server.addService(definition, { ServerReflectionInfo: handler });
  }
}
