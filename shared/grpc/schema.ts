// The runtime side of the generated protos: a service's rpcs with the codecs of their messages, and the
// file descriptors server reflection serves. Built once at start from the contracts and the .proto text
// embedded in the binary; a proto that no longer matches its contracts stops the start with a message.
import protobuf from "protobufjs";
import type { EndpointContract } from "../endpoint/contract.ts";
import { AppError } from "../errors/index.ts";
import { messageFromProto, messageToProto } from "./convert.ts";
import { fileDescriptorOf } from "./descriptor.ts";
import { type ProtoFileModel, type ProtoMessage, type ProtoType, protoModelOf, STRUCT_FILE } from "./model.ts";
import { structProtoText } from "./wkt.ts";

/** One rpc of a service: the contract it serves and the codecs of its messages. */
export interface GrpcMethod {
  /** The rpc's name, e.g. `ProductsGet`. */
  name: string;
  /** `/shop.catalog.v1.CatalogService/ProductsGet`. */
  path: string;
  contract: EndpointContract;
  /** Request bytes -> the contract input's JSON shape (zod validates after); malformed bytes: `invalid_argument`. */
  decodeRequest(bytes: Uint8Array): unknown;
  /** The contract input's JSON shape -> request bytes (for the client); a value the message cannot carry: `invalid_argument`. */
  encodeRequest(input: unknown): Uint8Array;
  /** Response bytes -> the contract output's JSON shape; malformed bytes: `invalid_argument`. */
  decodeResponse(bytes: Uint8Array): unknown;
  /** The contract output's JSON shape -> response bytes; a value the message cannot carry is a bug (plain Error). */
  encodeResponse(output: unknown): Uint8Array;
}

/** A service's gRPC schema: its package and service names, its methods, and its descriptors for reflection. */
export interface GrpcServiceSchema {
  /** `shop.catalog.v1`. */
  packageName: string;
  /** `CatalogService` (the full name is `${packageName}.${serviceName}`). */
  serviceName: string;
  methods: GrpcMethod[];
  /** Serialized google.protobuf.FileDescriptorProto: the service's file first, then every file it imports. */
  fileDescriptorProtos: Uint8Array[];
}

const toObjectOptions: protobuf.IConversionOptions = { longs: Number, enums: Number, defaults: false };

/** Parses proto text into `root` under the file name `name`, so its descriptor can be built (`fileDescriptorOf`). */
export function parseFile(root: protobuf.Root, name: string, text: string): protobuf.IParserResult {
  const parse = protobuf.parse as typeof protobuf.parse & { filename: string | null };
  parse.filename = name;
  try {
    return protobuf.parse(text, root, { keepCase: true });
  } finally {
    parse.filename = null;
  }
}

function expectedTypeName(type: ProtoType, packageName: string): string {
  switch (type.kind) {
    case "scalar":
      return type.scalar;
    case "enum":
      return `.${packageName}.${type.enum.path}`;
    case "message":
      return `.${packageName}.${type.message.path}`;
    case "struct":
      return ".google.protobuf.Struct";
    case "value":
      return ".google.protobuf.Value";
    case "map":
      return `map<string, ${expectedTypeName(type.value, packageName)}>`;
  }
}

function actualTypeName(field: protobuf.Field): string {
  field.resolve();
  const name = field.resolvedType ? field.resolvedType.fullName : field.type;
  return field instanceof protobuf.MapField ? `map<${field.keyType}, ${name}>` : name;
}

/** Checks that the parsed message has every field the contract needs, with the same type. */
function checkMessage(root: protobuf.Root, model: ProtoFileModel, message: ProtoMessage, problems: string[]): void {
  const fullName = `${model.packageName}.${message.path}`;
  const type = root.lookup(fullName);
  if (!(type instanceof protobuf.Type)) {
    problems.push(`message ${fullName} is missing`);
    return;
  }
  for (const field of message.fields) {
    const actual = type.fields[field.name];
    if (!actual) {
      problems.push(`${fullName}.${field.name} is missing`);
      continue;
    }
    const want = `${field.repeated ? "repeated " : ""}${expectedTypeName(field.type, model.packageName)}`;
    const got = `${actual.repeated && !(actual instanceof protobuf.MapField) ? "repeated " : ""}${actualTypeName(actual)}`;
    if (want !== got) problems.push(`${fullName}.${field.name} is ${got} in the proto, ${want} in the contract`);
    if (field.type.kind === "enum") {
      const e = actual.resolvedType;
      for (const value of field.type.enum.values) {
        if (!(e instanceof protobuf.Enum) || e.values[value.name] === undefined) {
          problems.push(`${field.type.enum.path}.${value.name} is missing`);
        } else value.number = e.values[value.name]!;
      }
    }
  }
  for (const nested of message.messages) checkMessage(root, model, nested, problems);
}

function codec(root: protobuf.Root, model: ProtoFileModel, message: ProtoMessage, encodeFails: "client" | "server") {
  const type = root.lookupType(`${model.packageName}.${message.path}`);
  const fail = (path: string, why: string): never => {
    const text = `${message.name}${path}: ${why}`;
    throw encodeFails === "client" ? new AppError("invalid_argument", text) : new Error(text);
  };
  return {
    encode(json: unknown): Uint8Array {
      return type.encode(messageToProto(message, json, "", fail)).finish();
    },
    decode(bytes: Uint8Array): unknown {
      let plain: Record<string, unknown>;
      try {
        plain = type.toObject(type.decode(bytes), toObjectOptions);
      } catch (err) {
        const why = err instanceof Error ? err.message : String(err);
        throw new AppError("invalid_argument", `malformed ${message.name} message: ${why}`, { cause: err });
      }
      return messageFromProto(message, plain);
    },
  };
}

/**
 * The gRPC schema of `service` serving `contracts`, from the service's generated .proto text (embed it:
 * `import text from "../../../proto/shop/catalog/v1/catalog.proto" with { type: "text" }`). Throws, naming
 * every difference, when the proto lacks an rpc, message or field the contracts need (run `bun run gen`).
 * @example const schema = grpcServiceSchemaOf("catalog", Object.values(endpoints), catalogProto);
 */
export function grpcServiceSchemaOf(
  service: string,
  contracts: readonly EndpointContract[],
  protoText: string,
): GrpcServiceSchema {
  const model = protoModelOf(service, contracts);
  const root = new protobuf.Root();
  const parsed = parseFile(root, model.fileName, protoText);
  const imports = parsed.imports ?? [];
  const unknown = imports.filter((i) => i !== STRUCT_FILE);
  if (unknown.length > 0)
    throw new Error(`${model.fileName} imports ${unknown.join(", ")}: only ${STRUCT_FILE} is known`);
  if (imports.includes(STRUCT_FILE)) parseFile(root, STRUCT_FILE, structProtoText);
  root.resolveAll();
  if (parsed.package !== model.packageName) {
    throw new Error(`${model.fileName} declares package ${parsed.package}, expected ${model.packageName}`);
  }
  const svc = root.lookup(`${model.packageName}.${model.serviceName}`);
  if (!(svc instanceof protobuf.Service)) throw new Error(`${model.fileName} has no service ${model.serviceName}`);
  const problems: string[] = [];
  for (const rpc of model.rpcs) {
    const method = svc.methods[rpc.name];
    if (!method) {
      problems.push(`rpc ${rpc.name} (${rpc.contract.name}) is missing`);
      continue;
    }
    if (method.requestType !== rpc.request.name || method.responseType !== rpc.response.name) {
      problems.push(`rpc ${rpc.name} takes ${method.requestType} and returns ${method.responseType}`);
    }
    checkMessage(root, model, rpc.request, problems);
    checkMessage(root, model, rpc.response, problems);
  }
  if (problems.length > 0) {
    throw new Error(
      `${model.fileName} does not match the ${service} contracts (run \`bun run gen\`):\n  ${problems.join("\n  ")}`,
    );
  }
  const methods = model.rpcs.map((rpc): GrpcMethod => {
    const request = codec(root, model, rpc.request, "client");
    const response = codec(root, model, rpc.response, "server");
    return {
      name: rpc.name,
      path: `/${model.packageName}.${model.serviceName}/${rpc.name}`,
      contract: rpc.contract,
      decodeRequest: request.decode,
      encodeRequest: request.encode,
      decodeResponse: response.decode,
      encodeResponse: response.encode,
    };
  });
  const fileDescriptorProtos = [
    fileDescriptorOf(root, {
      name: model.fileName,
      packageName: model.packageName,
      dependencies: imports,
      syntax: "proto3",
    }),
  ];
  if (imports.includes(STRUCT_FILE)) {
    fileDescriptorProtos.push(
      fileDescriptorOf(root, { name: STRUCT_FILE, packageName: "google.protobuf", dependencies: [], syntax: "proto3" }),
    );
  }
  return { packageName: model.packageName, serviceName: model.serviceName, methods, fileDescriptorProtos };
}
