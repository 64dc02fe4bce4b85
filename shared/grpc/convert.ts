// Named converters between a contract's JSON shape (camelCase keys, enum strings, ISO strings, null and
// missing keys: what zod parses and produces) and the plain objects protobufjs encodes and decodes
// (snake_case fields, enum numbers, absent optionals, google.protobuf.Struct/Value for free-form JSON).
import type { ProtoField, ProtoMessage, ProtoType } from "./model.ts";

type Plain = Record<string, unknown>;

/** Reports a value the message cannot carry; the caller decides which error that is. */
export type Fail = (path: string, message: string) => never;

const isObject = (v: unknown): v is Plain => typeof v === "object" && v !== null && !Array.isArray(v);

/** JSON -> google.protobuf.Value (plain). */
export function toValue(v: unknown): Plain {
  if (v === null || v === undefined) return { null_value: 0 };
  if (typeof v === "number") return { number_value: v };
  if (typeof v === "string") return { string_value: v };
  if (typeof v === "boolean") return { bool_value: v };
  if (Array.isArray(v)) return { list_value: { values: v.map(toValue) } };
  if (isObject(v)) return { struct_value: toStruct(v) };
  return { string_value: String(v) };
}

/** JSON object -> google.protobuf.Struct (plain); undefined members are left out, as JSON would. */
export function toStruct(v: Plain): Plain {
  const fields: Plain = {};
  for (const [k, item] of Object.entries(v)) if (item !== undefined) fields[k] = toValue(item);
  return { fields };
}

/** google.protobuf.Value (decoded plain) -> JSON. */
export function fromValue(v: unknown): unknown {
  if (!isObject(v)) return null;
  if ("number_value" in v) return v.number_value;
  if ("string_value" in v) return v.string_value;
  if ("bool_value" in v) return v.bool_value;
  if ("struct_value" in v) return fromStruct(v.struct_value);
  if ("list_value" in v) {
    const list = v.list_value;
    return (isObject(list) && Array.isArray(list.values) ? list.values : []).map(fromValue);
  }
  return null;
}

/** google.protobuf.Struct (decoded plain) -> JSON object. */
export function fromStruct(v: unknown): Plain {
  const out: Plain = {};
  const fields = isObject(v) && isObject(v.fields) ? v.fields : {};
  for (const [k, item] of Object.entries(fields)) out[k] = fromValue(item);
  return out;
}

function typeToProto(type: ProtoType, v: unknown, path: string, fail: Fail): unknown {
  switch (type.kind) {
    case "scalar":
      switch (type.scalar) {
        case "string":
          return typeof v === "string" ? v : fail(path, "expected a string");
        case "bool":
          return typeof v === "boolean" ? v : fail(path, "expected a boolean");
        case "double":
          return typeof v === "number" ? v : fail(path, "expected a number");
        default:
          return Number.isSafeInteger(v) ? v : fail(path, "expected a safe integer");
      }
    case "enum": {
      const found = type.enum.values.find((e) => e.json === v);
      return found
        ? found.number
        : fail(path, `expected one of ${type.enum.values.map((e) => `"${e.json}"`).join(", ")}`);
    }
    case "message":
      return messageToProto(type.message, v, path, fail);
    case "struct":
      return isObject(v) ? toStruct(v) : fail(path, "expected an object");
    case "value":
      return toValue(v);
    case "map": {
      if (!isObject(v)) return fail(path, "expected an object");
      const out: Plain = {};
      for (const [k, item] of Object.entries(v)) {
        if (item !== undefined) out[k] = typeToProto(type.value, item, `${path}/${k}`, fail);
      }
      return out;
    }
  }
}

function fieldToProto(field: ProtoField, v: unknown, path: string, fail: Fail): unknown {
  if (!field.repeated) return typeToProto(field.type, v, path, fail);
  if (!Array.isArray(v)) return fail(path, "expected an array");
  return v.map((item, i) => typeToProto(field.type, item, `${path}/${i}`, fail));
}

/**
 * A contract's JSON value -> the message's plain object for protobufjs. Missing keys and nulls are left
 * unset (a required nullable field reads back as null); only google.protobuf.Value carries an explicit null.
 */
export function messageToProto(message: ProtoMessage, json: unknown, path: string, fail: Fail): Plain {
  if (message.shape === "empty") return {};
  if (message.shape === "wrapped") {
    const field = message.fields[0]!;
    return json === undefined ? {} : { [field.name]: fieldToProto(field, json, path, fail) };
  }
  if (!isObject(json)) return fail(path || "/", "expected an object");
  const out: Plain = {};
  for (const field of message.fields) {
    const v = json[field.jsonKey];
    if (v === undefined || (v === null && field.type.kind !== "value")) continue;
    out[field.name] = fieldToProto(field, v, `${path}/${field.jsonKey}`, fail);
  }
  return out;
}

function typeFromProto(type: ProtoType, v: unknown): unknown {
  switch (type.kind) {
    case "scalar":
      return v;
    case "enum": {
      if (v === 0) return undefined;
      return type.enum.values.find((e) => e.number === v)?.json ?? v;
    }
    case "message":
      return messageFromProto(type.message, v);
    case "struct":
      return fromStruct(v);
    case "value":
      return fromValue(v);
    case "map": {
      const out: Plain = {};
      for (const [k, item] of Object.entries(isObject(v) ? v : {})) out[k] = typeFromProto(type.value, item);
      return out;
    }
  }
}

const zeroOf: Record<string, unknown> = { string: "", bool: false, int32: 0, int64: 0, double: 0 };

function absentValue(field: ProtoField): unknown {
  if (field.absent === "null") return null;
  if (field.absent === "undefined") return undefined;
  if (field.repeated) return [];
  if (field.type.kind === "map") return {};
  return field.type.kind === "scalar" ? zeroOf[field.type.scalar] : undefined;
}

/**
 * A decoded message (protobufjs `toObject` with `longs: Number, enums: Number, defaults: false`) -> the
 * contract's JSON shape. An unset enum reads as missing, so validation names the field.
 */
export function messageFromProto(message: ProtoMessage, plain: unknown): unknown {
  if (message.shape === "empty") return undefined;
  const obj = isObject(plain) ? plain : {};
  if (message.shape === "wrapped") return fieldFromProto(message.fields[0]!, obj);
  const out: Plain = {};
  for (const field of message.fields) {
    const v = fieldFromProto(field, obj);
    if (v !== undefined) out[field.jsonKey] = v;
  }
  return out;
}

function fieldFromProto(field: ProtoField, obj: Plain): unknown {
  const raw = obj[field.name];
  if (raw === undefined || raw === null) return absentValue(field);
  if (field.repeated) {
    const list = Array.isArray(raw) ? raw : [];
    if (list.length === 0) return absentValue(field);
    return list.map((item) => typeFromProto(field.type, item));
  }
  const v = typeFromProto(field.type, raw);
  return v === undefined ? absentValue(field) : v;
}
