// The proto model of a service's contracts: zod -> JSON Schema (`z.toJSONSchema`) -> messages, fields and
// enums without numbers (lock.ts numbers them). The generator renders it to .proto text; the runtime codec
// builds the same model to convert between a contract's JSON shape and the proto message.
import { z } from "zod";
import type { EndpointContract } from "../endpoint/contract.ts";
import {
  elementTypeNameOf,
  packageNameOf,
  pascalCaseOf,
  protoFileNameOf,
  rpcNameOf,
  serviceNameOf,
  snakeCaseOf,
  upperSnakeCaseOf,
} from "./naming.ts";

/** Scalar proto types the mapping uses. */
export type ScalarType = "string" | "bool" | "int32" | "int64" | "double";

/** A field's type: a scalar, an enum or message of the file, a well-known JSON type, or a string-keyed map. */
export type ProtoType =
  | { kind: "scalar"; scalar: ScalarType }
  | { kind: "enum"; enum: ProtoEnum }
  | { kind: "message"; message: ProtoMessage }
  /** `google.protobuf.Struct`: a free-form JSON object. */
  | { kind: "struct" }
  /** `google.protobuf.Value`: any JSON value (the fallback for what proto cannot say). */
  | { kind: "value" }
  | { kind: "map"; value: ProtoType };

/**
 * How the JSON shape reads a field missing from the wire: `undefined` (an optional key, left out),
 * `null` (a required nullable key), or `default` (a required key: the zero value of a scalar, an empty
 * list or map; a message or an unset enum stays missing, so validation names the field).
 */
export type Absent = "undefined" | "null" | "default";

/** One field of a message. */
export interface ProtoField {
  /** lower_snake_case proto name. */
  name: string;
  /** The key in the contract's JSON. */
  jsonKey: string;
  type: ProtoType;
  repeated: boolean;
  /** Declared with proto3 `optional` (explicit presence). */
  optional: boolean;
  absent: Absent;
  comments: string[];
  /** Field number; 0 until lock.ts assigns it. */
  number: number;
}

/** A name and number kept out of use because a field or enum value was removed. */
export interface Reserved {
  name: string;
  number: number;
}

/** One enum value: the contract's string and its proto name. */
export interface ProtoEnumValue {
  name: string;
  json: string;
  number: number;
}

/** A proto enum made from a zod string enum; `<PREFIX>_UNSPECIFIED = 0` is implied. */
export interface ProtoEnum {
  name: string;
  /** Dotted path inside the package, e.g. `OrdersGetResponse.Status`. */
  path: string;
  values: ProtoEnumValue[];
  reserved: Reserved[];
}

/**
 * A message. `object`: the JSON is an object of the fields; `wrapped`: the JSON is any other value, carried
 * in the one field `value`; `empty`: no JSON at all (a `z.void()` output).
 */
export interface ProtoMessage {
  name: string;
  /** Dotted path inside the package, e.g. `ProductsGetResponse.Product`. */
  path: string;
  comments: string[];
  shape: "object" | "wrapped" | "empty";
  fields: ProtoField[];
  messages: ProtoMessage[];
  enums: ProtoEnum[];
  reserved: Reserved[];
}

/** One rpc: the contract it serves and its request and response messages. */
export interface ProtoRpc {
  name: string;
  contract: EndpointContract;
  request: ProtoMessage;
  response: ProtoMessage;
}

/** Everything one service's proto file says. */
export interface ProtoFileModel {
  service: string;
  /** `shop/<svc>/v1/<svc>.proto`. */
  fileName: string;
  packageName: string;
  serviceName: string;
  rpcs: ProtoRpc[];
  /** Well-known files the messages use (`google/protobuf/struct.proto`). */
  imports: string[];
}

type JsonSchema = Record<string, unknown>;

const INT32_MIN = -2_147_483_648;
const INT32_MAX = 2_147_483_647;
export const STRUCT_FILE = "google/protobuf/struct.proto";

const formatNotes: Record<string, string> = {
  uuid: "a UUID (string)",
  "date-time": "an RFC 3339 date-time, e.g. 2024-01-31T12:00:00.000Z (string)",
  date: "an ISO 8601 date, YYYY-MM-DD (string)",
  time: "an ISO 8601 time (string)",
  duration: "an ISO 8601 duration (string)",
  email: "an email address (string)",
  uri: "a URI (string)",
  url: "a URL (string)",
  ipv4: "an IPv4 address (string)",
  ipv6: "an IPv6 address (string)",
};

/** What building one file needs: the JSON Schema document (for `$ref`) and the imports used. */
interface Build {
  root: JsonSchema;
  imports: Set<string>;
  /** Messages made for `$ref` targets, so a recursive schema refers back instead of looping. */
  byRef: Map<JsonSchema, ProtoMessage>;
}

/**
 * The proto model of a service: one rpc per contract (sorted by contract name), `<Rpc>Request` and
 * `<Rpc>Response` from the input and output schemas. Never throws on a schema it cannot map: such a part
 * becomes `google.protobuf.Value`. Throws only when two contracts give one rpc name.
 */
export function protoModelOf(service: string, contracts: readonly EndpointContract[]): ProtoFileModel {
  const imports = new Set<string>();
  const rpcs: ProtoRpc[] = [];
  const byName = new Map<string, string>();
  for (const contract of [...contracts].sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0))) {
    const name = rpcNameOf(service, contract.name);
    const taken = byName.get(name);
    if (taken === contract.name) continue;
    if (taken) throw new Error(`contracts ${taken} and ${contract.name} both map to rpc ${name}`);
    byName.set(name, contract.name);
    const summary = `${contract.name}: ${contract.summary}`;
    rpcs.push({
      name,
      contract,
      request: rootMessage(contract.input, "input", `${name}Request`, [`The input of ${summary}`], imports),
      response: rootMessage(contract.output, "output", `${name}Response`, [`The output of ${summary}`], imports),
    });
  }
  return {
    service,
    fileName: protoFileNameOf(service),
    packageName: packageNameOf(service),
    serviceName: serviceNameOf(service),
    rpcs,
    imports: [...imports].sort(),
  };
}

function newMessage(name: string, path: string, comments: string[], shape: ProtoMessage["shape"]): ProtoMessage {
  return { name, path, comments, shape, fields: [], messages: [], enums: [], reserved: [] };
}

function rootMessage(
  schema: z.ZodType,
  io: "input" | "output",
  name: string,
  comments: string[],
  imports: Set<string>,
): ProtoMessage {
  const zodType = (schema as { _zod?: { def?: { type?: string } } })._zod?.def?.type;
  if (zodType === "void" || zodType === "undefined") return newMessage(name, name, [...comments, "(empty)"], "empty");
  let root: JsonSchema;
  try {
    root = z.toJSONSchema(schema, { io, unrepresentable: "any", cycles: "ref", reused: "inline" }) as JsonSchema;
  } catch {
    root = {};
  }
  const build: Build = { root, imports, byRef: new Map() };
  const json = resolve(build, root);
  if (isObjectMessage(json)) return objectMessage(build, json, name, name, comments);
  const message = newMessage(name, name, [...comments, "(not an object: carried in `value`)"], "wrapped");
  message.fields.push(fieldOf(build, message, { key: "value", name: "value", schema: root, required: true }));
  return message;
}

function resolve(build: Build, schema: unknown): JsonSchema {
  let s = (schema ?? {}) as JsonSchema;
  for (let hops = 0; typeof s.$ref === "string" && hops < 32; hops++) {
    const ref = s.$ref as string;
    if (ref === "#") s = build.root;
    else if (ref.startsWith("#/$defs/"))
      s = ((build.root.$defs ?? {}) as Record<string, JsonSchema>)[ref.slice(8)] ?? {};
    else if (ref.startsWith("#/definitions/"))
      s = ((build.root.definitions ?? {}) as Record<string, JsonSchema>)[ref.slice(14)] ?? {};
    else return {};
  }
  return s;
}

function isObjectMessage(s: JsonSchema): boolean {
  if (s.type !== "object") return false;
  const props = (s.properties ?? {}) as Record<string, unknown>;
  if (Object.keys(props).length > 0) return true;
  const extra = s.additionalProperties;
  return extra === undefined || extra === false;
}

/** Splits `T | null` (`type: [T, "null"]`, `anyOf: [T, {type: "null"}]`) into T and a flag. */
function unwrapNullable(build: Build, schema: JsonSchema): { schema: JsonSchema; nullable: boolean } {
  const s = resolve(build, schema);
  if (Array.isArray(s.type) && s.type.includes("null")) {
    const rest = (s.type as string[]).filter((t) => t !== "null");
    const only = rest.length === 1 ? rest[0] : rest;
    const enumValues = Array.isArray(s.enum) ? s.enum.filter((v) => v !== null) : undefined;
    return { schema: { ...s, type: only, ...(enumValues ? { enum: enumValues } : {}) }, nullable: true };
  }
  for (const key of ["anyOf", "oneOf"] as const) {
    const variants = s[key];
    if (!Array.isArray(variants)) continue;
    const nonNull = variants.filter((v) => resolve(build, v).type !== "null");
    if (nonNull.length === variants.length - 1 && nonNull.length === 1) {
      const { [key]: _, ...rest } = s;
      return { schema: { ...rest, ...resolve(build, nonNull[0]) }, nullable: true };
    }
  }
  if (Array.isArray(s.enum) && s.enum.includes(null)) {
    return { schema: { ...s, enum: s.enum.filter((v) => v !== null) }, nullable: true };
  }
  return { schema: s, nullable: false };
}

function uniqueName(base: string, taken: Set<string>): string {
  let name = base;
  for (let i = 2; taken.has(name); i++) name = `${base}${i}`;
  taken.add(name);
  return name;
}

function objectMessage(build: Build, s: JsonSchema, name: string, path: string, comments: string[]): ProtoMessage {
  const message = newMessage(name, path, comments, "object");
  build.byRef.set(s, message);
  const required = new Set(Array.isArray(s.required) ? (s.required as string[]) : []);
  const names = new Set<string>();
  for (const [key, schema] of Object.entries((s.properties ?? {}) as Record<string, unknown>)) {
    const fieldName = uniqueName(snakeCaseOf(key), names);
    message.fields.push(
      fieldOf(build, message, { key, name: fieldName, schema: schema as JsonSchema, required: required.has(key) }),
    );
  }
  if (s.additionalProperties !== undefined && s.additionalProperties !== false) {
    message.comments.push("Keys other than these fields are not carried.");
  }
  return message;
}

interface FieldSpec {
  key: string;
  name: string;
  schema: JsonSchema;
  required: boolean;
}

const valueType: ProtoType = { kind: "value" };

function fieldOf(build: Build, parent: ProtoMessage, spec: FieldSpec): ProtoField {
  const { schema, nullable } = unwrapNullable(build, spec.schema);
  const comments: string[] = [];
  const description = schema.description ?? resolve(build, spec.schema).description;
  if (typeof description === "string") comments.push(...description.split("\n"));
  const typed = typeOf(build, parent, { key: spec.key, element: false }, schema, comments);
  const field: ProtoField = {
    name: spec.name,
    jsonKey: spec.key,
    type: typed.type,
    repeated: typed.repeated,
    optional: false,
    absent: spec.required ? "default" : "undefined",
    comments,
    number: 0,
  };
  const kind = typed.type.kind;
  const container = typed.repeated || kind === "map";
  const hasPresence = kind === "message" || kind === "struct";
  // Three states (absent, null, a value) fit only google.protobuf.Value; a list or map has no presence.
  if (kind !== "value" && nullable && (!spec.required || container)) {
    build.imports.add(STRUCT_FILE);
    return { ...field, type: valueType, repeated: false, absent: "undefined", comments: [...comments, nullNote] };
  }
  if (kind === "value" && !typed.repeated) return { ...field, absent: "undefined" };
  if (nullable) {
    field.absent = "null";
    comments.push("Unset means null.");
  }
  if (!container && !hasPresence && (nullable || !spec.required)) field.optional = true;
  if (container && !spec.required) comments.push("Optional: an empty list reads as absent.");
  return field;
}

const nullNote = "Any JSON value: null, absent and a value all differ here.";

interface TypeName {
  key: string;
  /** The type is a list's element: named in the singular. */
  element: boolean;
}

function nestedName(parent: ProtoMessage, name: TypeName): string {
  const taken = new Set([...parent.messages.map((m) => m.name), ...parent.enums.map((e) => e.name)]);
  return uniqueName(name.element ? elementTypeNameOf(name.key) : pascalCaseOf(name.key), taken);
}

function typeOf(
  build: Build,
  parent: ProtoMessage,
  name: TypeName,
  schema: JsonSchema,
  comments: string[],
): { type: ProtoType; repeated: boolean } {
  const one = (type: ProtoType) => ({ type, repeated: false });
  const fallback = (why: string) => {
    build.imports.add(STRUCT_FILE);
    comments.push(`Any JSON value (${why}).`);
    return one(valueType);
  };
  const s = resolve(build, schema);
  const known = build.byRef.get(s);
  if (known) return one({ kind: "message", message: known });
  for (const key of ["anyOf", "oneOf"] as const) {
    const variants = s[key];
    if (!Array.isArray(variants)) continue;
    const resolved = variants.map((v) => unwrapNullable(build, resolve(build, v)));
    if (resolved.some((v) => v.nullable)) return fallback("a nullable union");
    const strings = resolved.flatMap((v) => stringValuesOf(v.schema) ?? [null]);
    if (strings.length > 0 && !strings.includes(null)) {
      return one({ kind: "enum", enum: enumOf(parent, name, strings as string[]) });
    }
    return fallback("a union of several shapes");
  }
  if (Array.isArray(s.allOf)) {
    const parts = s.allOf.map((p) => resolve(build, p));
    if (parts.every((p) => p.type === "object" && !Array.isArray(p.anyOf))) {
      const merged: JsonSchema = {
        type: "object",
        properties: Object.assign({}, ...parts.map((p) => p.properties ?? {})),
        required: parts.flatMap((p) => (Array.isArray(p.required) ? p.required : [])),
        additionalProperties: false,
      };
      return typeOf(build, parent, name, merged, comments);
    }
    return fallback("an intersection of non-objects");
  }
  const strings = stringValuesOf(s);
  if (strings && strings.length === 1 && s.const !== undefined) {
    comments.push(`Always "${strings[0]}".`);
    return one({ kind: "scalar", scalar: "string" });
  }
  if (strings) return one({ kind: "enum", enum: enumOf(parent, name, strings) });
  if (s.enum !== undefined || s.const !== undefined) return fallback("a non-string enum");
  switch (s.type) {
    case "string": {
      const note = typeof s.format === "string" ? formatNotes[s.format] : undefined;
      if (note) comments.push(`Format: ${note}.`);
      return one({ kind: "scalar", scalar: "string" });
    }
    case "boolean":
      return one({ kind: "scalar", scalar: "bool" });
    case "number":
      return one({ kind: "scalar", scalar: "double" });
    case "integer":
      return one({ kind: "scalar", scalar: isInt32(s) ? "int32" : "int64" });
    case "array":
      return arrayOf(build, parent, name, s, comments, fallback);
    case "object":
      return objectType(build, parent, name, s, comments, fallback);
    default:
      return fallback(s.type === undefined ? "any value" : `JSON type ${JSON.stringify(s.type)}`);
  }
}

function arrayOf(
  build: Build,
  parent: ProtoMessage,
  name: TypeName,
  s: JsonSchema,
  comments: string[],
  fallback: (why: string) => { type: ProtoType; repeated: boolean },
): { type: ProtoType; repeated: boolean } {
  if (s.prefixItems !== undefined || s.items === undefined || s.items === false) return fallback("a tuple");
  const { schema: item, nullable } = unwrapNullable(build, resolve(build, s.items));
  const element: TypeName = { key: name.key, element: true };
  const typed = typeOf(build, parent, element, item, comments);
  if (nullable || typed.repeated || typed.type.kind === "map") {
    build.imports.add(STRUCT_FILE);
    comments.push("Each item is any JSON value (a list of lists, maps or nullable items).");
    return { type: valueType, repeated: true };
  }
  return { type: typed.type, repeated: true };
}

function objectType(
  build: Build,
  parent: ProtoMessage,
  name: TypeName,
  s: JsonSchema,
  comments: string[],
  fallback: (why: string) => { type: ProtoType; repeated: boolean },
): { type: ProtoType; repeated: boolean } {
  if (isObjectMessage(s)) {
    const typeName = nestedName(parent, name);
    const message = objectMessage(build, s, typeName, `${parent.path}.${typeName}`, []);
    parent.messages.push(message);
    return { type: { kind: "message", message }, repeated: false };
  }
  const extra = s.additionalProperties;
  const valueSchema = extra === true || extra === undefined ? {} : resolve(build, extra);
  if (Object.keys(valueSchema).length > 0) {
    const { schema: item, nullable } = unwrapNullable(build, valueSchema);
    const typed = typeOf(build, parent, { key: `${name.key}_value`, element: false }, item, comments);
    if (!nullable && !typed.repeated && typed.type.kind !== "map" && typed.type.kind !== "value") {
      comments.push("A map with string keys.");
      return { type: { kind: "map", value: typed.type }, repeated: false };
    }
  }
  if (Object.keys(valueSchema).length > 0) return fallback("a map of values proto cannot repeat");
  build.imports.add(STRUCT_FILE);
  comments.push("A free-form JSON object.");
  return { type: { kind: "struct" }, repeated: false };
}

function isInt32(s: JsonSchema): boolean {
  const num = (v: unknown) => (typeof v === "number" ? v : undefined);
  const low = num(s.minimum) ?? (num(s.exclusiveMinimum) !== undefined ? num(s.exclusiveMinimum)! + 1 : undefined);
  const high = num(s.maximum) ?? (num(s.exclusiveMaximum) !== undefined ? num(s.exclusiveMaximum)! - 1 : undefined);
  return low !== undefined && high !== undefined && low >= INT32_MIN && high <= INT32_MAX;
}

function stringValuesOf(s: JsonSchema): string[] | undefined {
  if (typeof s.const === "string") return [s.const];
  if (Array.isArray(s.enum) && s.enum.length > 0 && s.enum.every((v) => typeof v === "string")) {
    return s.enum as string[];
  }
  return undefined;
}

function enumOf(parent: ProtoMessage, name: TypeName, strings: string[]): ProtoEnum {
  const typeName = nestedName(parent, name);
  const prefix = upperSnakeCaseOf(typeName);
  const taken = new Set([`${prefix}_UNSPECIFIED`]);
  const values = [...new Set(strings)].map((json) => ({
    json,
    name: uniqueName(`${prefix}_${json === "" ? "EMPTY" : upperSnakeCaseOf(json)}`, taken),
    number: 0,
  }));
  const e: ProtoEnum = { name: typeName, path: `${parent.path}.${typeName}`, values, reserved: [] };
  parent.enums.push(e);
  return e;
}

/** Every message of the file, outermost first (request, response, then nested ones, per rpc). */
export function messagesOf(model: ProtoFileModel): ProtoMessage[] {
  const out: ProtoMessage[] = [];
  const walk = (m: ProtoMessage) => {
    out.push(m);
    m.messages.forEach(walk);
  };
  for (const rpc of model.rpcs) {
    walk(rpc.request);
    walk(rpc.response);
  }
  return out;
}

/** Every enum of the file. */
export function enumsOf(model: ProtoFileModel): ProtoEnum[] {
  return messagesOf(model).flatMap((m) => m.enums);
}
