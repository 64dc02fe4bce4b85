// Encoded FileDescriptorProtos of the well-known protos the kit serves itself (health), for reflection.
import { parse } from "protobufjs";
import descriptor from "protobufjs/ext/descriptor/index.js";

/** The encoded `FileDescriptorProto` of one proto3 file given as text, named `name` (e.g. `grpc/health/v1/health.proto`). */
export function fileDescriptorOf(name: string, protoText: string): Uint8Array {
  const set = parse(protoText, { keepCase: true }).root.toDescriptor("proto3");
  const file = set.file[0];
  if (!file) throw new Error(`${name} declares nothing`);
  file.name = name;
  return descriptor.FileDescriptorProto.encode(file).finish();
}
