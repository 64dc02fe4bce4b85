// Serialized google.protobuf.FileDescriptorProto of parsed proto files, for server reflection (what
// `buf curl`, grpcurl and Postman read). Built by hand from protobufjs' reflection objects, since its own
// descriptor extension leaves type names relative, drops json_name and proto3_optional, and misnumbers
// reserved ranges.
import protobuf from "protobufjs";
import { defaultJsonNameOf, pascalCaseOf } from "./naming.ts";
import { descriptorProtoText } from "./wkt.ts";

const TYPE: Record<string, number> = {
  double: 1,
  float: 2,
  int64: 3,
  uint64: 4,
  int32: 5,
  fixed64: 6,
  fixed32: 7,
  bool: 8,
  string: 9,
  bytes: 12,
  uint32: 13,
  sfixed32: 15,
  sfixed64: 16,
  sint32: 17,
  sint64: 18,
};
const TYPE_MESSAGE = 11;
const TYPE_ENUM = 14;
const LABEL_OPTIONAL = 1;
const LABEL_REPEATED = 3;

type Plain = Record<string, unknown>;

const isProto3Optional = (f: protobuf.Field) => f.options?.proto3_optional === true;

function scalarOrRef(type: string, resolved: protobuf.ReflectionObject | null): Plain {
  if (resolved instanceof protobuf.Enum) return { type: TYPE_ENUM, type_name: resolved.fullName };
  if (resolved instanceof protobuf.Type) return { type: TYPE_MESSAGE, type_name: resolved.fullName };
  const t = TYPE[type];
  if (t === undefined) throw new Error(`unsupported field type ${type}`);
  return { type: t };
}

function enumDescriptor(e: protobuf.Enum): Plain {
  const ranges = (e.reserved ?? []).filter((r): r is number[] => Array.isArray(r));
  const names = (e.reserved ?? []).filter((r): r is string => typeof r === "string");
  return {
    name: e.name,
    value: Object.entries(e.values).map(([name, number]) => ({ name, number })),
    reserved_range: ranges.map(([start, end]) => ({ start, end })),
    reserved_name: names,
  };
}

function messageDescriptor(t: protobuf.Type): Plain {
  // Real oneofs first, then one synthetic oneof per proto3 `optional` field, as protoc orders them.
  const real = t.oneofsArray.filter((o) => !o.fieldsArray.every(isProto3Optional));
  const synthetic = t.fieldsArray.filter(isProto3Optional);
  const oneofIndex = new Map<string, number>();
  real.forEach((o, i) => {
    for (const f of o.fieldsArray) oneofIndex.set(f.name, i);
  });
  synthetic.forEach((f, i) => {
    oneofIndex.set(f.name, real.length + i);
  });
  const nested: Plain[] = [];
  const fields = t.fieldsArray.map((f) => {
    f.resolve();
    const base: Plain = { name: f.name, number: f.id, json_name: f.options?.json_name ?? defaultJsonNameOf(f.name) };
    if (f instanceof protobuf.MapField) {
      const entry = `${pascalCaseOf(f.name)}Entry`;
      nested.push({
        name: entry,
        field: [
          { name: "key", number: 1, label: LABEL_OPTIONAL, json_name: "key", ...scalarOrRef(f.keyType, null) },
          {
            name: "value",
            number: 2,
            label: LABEL_OPTIONAL,
            json_name: "value",
            ...scalarOrRef(f.type, f.resolvedType),
          },
        ],
        options: { map_entry: true },
      });
      return { ...base, label: LABEL_REPEATED, type: TYPE_MESSAGE, type_name: `${t.fullName}.${entry}` };
    }
    const d: Plain = {
      ...base,
      label: f.repeated ? LABEL_REPEATED : LABEL_OPTIONAL,
      ...scalarOrRef(f.type, f.resolvedType),
    };
    const index = oneofIndex.get(f.name);
    if (index !== undefined) d.oneof_index = index;
    if (isProto3Optional(f)) d.proto3_optional = true;
    return d;
  });
  const ranges = (t.reserved ?? []).filter((r): r is number[] => Array.isArray(r));
  const names = (t.reserved ?? []).filter((r): r is string => typeof r === "string");
  return {
    name: t.name,
    field: fields,
    // Reserved ranges in a descriptor end one past the last number.
    reserved_range: ranges.map(([start, end]) => ({ start, end: end! + 1 })),
    reserved_name: names,
    oneof_decl: [...real.map((o) => ({ name: o.name })), ...synthetic.map((f) => ({ name: `_${f.name}` }))],
    nested_type: [
      ...nested,
      ...t.nestedArray.filter((n): n is protobuf.Type => n instanceof protobuf.Type).map(messageDescriptor),
    ],
    enum_type: t.nestedArray.filter((n): n is protobuf.Enum => n instanceof protobuf.Enum).map(enumDescriptor),
  };
}

function serviceDescriptor(s: protobuf.Service): Plain {
  return {
    name: s.name,
    method: s.methodsArray.map((m) => {
      m.resolve();
      return {
        name: m.name,
        input_type: m.resolvedRequestType!.fullName,
        output_type: m.resolvedResponseType!.fullName,
      };
    }),
  };
}

/** One parsed file: its name, package, imports, and the namespace its definitions live in. */
export interface ParsedFile {
  name: string;
  packageName: string;
  dependencies: string[];
  syntax: "proto2" | "proto3";
}

/**
 * The serialized FileDescriptorProto of one file parsed into `root` (`protobuf.parse(text, root)` with the
 * file's `filename`): the definitions of its package whose `filename` is the file's.
 */
export function fileDescriptorOf(root: protobuf.Root, file: ParsedFile): Uint8Array {
  const ns = root.lookup(file.packageName);
  if (!(ns instanceof protobuf.Namespace)) throw new Error(`${file.name}: package ${file.packageName} not found`);
  const own = ns.nestedArray.filter((n) => n.filename === file.name);
  const descriptor = {
    name: file.name,
    package: file.packageName,
    dependency: file.dependencies,
    message_type: own.filter((n): n is protobuf.Type => n instanceof protobuf.Type).map(messageDescriptor),
    enum_type: own.filter((n): n is protobuf.Enum => n instanceof protobuf.Enum).map(enumDescriptor),
    service: own.filter((n): n is protobuf.Service => n instanceof protobuf.Service).map(serviceDescriptor),
    syntax: file.syntax,
  };
  const fileType = descriptorTypes().lookupType("google.protobuf.FileDescriptorProto");
  return fileType.encode(fileType.fromObject(descriptor)).finish();
}

/** The descriptor.proto subset, parsed (to encode descriptors, or to read them in tests). */
export function descriptorTypes(): protobuf.Root {
  const root = new protobuf.Root();
  protobuf.parse(descriptorProtoText, root, { keepCase: true });
  root.resolveAll();
  return root;
}
