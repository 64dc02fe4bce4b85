// Backend decoders (`encoding`, `is_collection`) and endpoint renderers (`output_encoding`), KrakenD style:
// arrays live under `collection` and text under `content`.
import { type Data, isObject } from "./data.ts";

/** Raised when a backend body does not fit its declared encoding; counts as a backend failure. */
export class DecodeError extends Error {
  override readonly name = "DecodeError";
}

/** Decodes a backend body (already size-checked) into the object the shaping rules work on. */
export function decodeBody(text: string, encoding: "json" | "safejson" | "string", isCollection: boolean): Data {
  if (encoding === "string") return { content: text };
  if (text.trim() === "") return isCollection ? { collection: [] } : {};
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    throw new DecodeError("backend body is not valid JSON");
  }
  if (encoding === "safejson") {
    if (isObject(value)) return value;
    return Array.isArray(value) ? { collection: value } : { content: value };
  }
  if (isCollection) {
    if (!Array.isArray(value)) throw new DecodeError("is_collection expects a JSON array");
    return { collection: value };
  }
  if (!isObject(value)) throw new DecodeError("expected a JSON object (use is_collection or safejson)");
  return value;
}

/** A rendered endpoint body with its media type. */
export interface Rendered {
  body: string;
  contentType: string;
}

const JSON_TYPE = "application/json; charset=utf-8";

/** Renders merged data for `json`, `json-collection` or `string` output. */
export function renderOutput(data: Data, encoding: "json" | "json-collection" | "string"): Rendered {
  if (encoding === "json-collection") {
    const list = Array.isArray(data.collection) ? data.collection : [];
    return { body: JSON.stringify(list), contentType: JSON_TYPE };
  }
  if (encoding === "string") {
    const content = data.content;
    return { body: typeof content === "string" ? content : "", contentType: "text/plain; charset=utf-8" };
  }
  return { body: JSON.stringify(data), contentType: JSON_TYPE };
}
