// A small decoder of OTLP trace exports (protobuf and JSON) for tests and local receivers: only the fields
// a test asks about, read straight from the wire format (field numbers of opentelemetry-proto's trace.proto).

/** One exported span, with the `service.name` of its resource. */
export interface ReceivedSpan {
  service: string;
  traceId: string;
  spanId: string;
  parentSpanId: string;
  traceState: string;
  name: string;
  /** 1 internal, 2 server, 3 client, 4 producer, 5 consumer. */
  kind: number;
  attributes: Record<string, unknown>;
  events: { name: string; attributes: Record<string, unknown> }[];
  links: { traceId: string; spanId: string }[];
  /** 0 unset, 1 ok, 2 error. */
  statusCode: number;
  resource: Record<string, unknown>;
}

type Field = { no: number; wire: number; value: bigint | Uint8Array };

function* fields(buf: Uint8Array): Generator<Field> {
  let at = 0;
  const varint = (): bigint => {
    let result = 0n;
    let shift = 0n;
    for (;;) {
      const b = buf[at++] as number;
      result |= BigInt(b & 0x7f) << shift;
      if ((b & 0x80) === 0) return result;
      shift += 7n;
    }
  };
  while (at < buf.length) {
    const key = Number(varint());
    const no = key >>> 3;
    const wire = key & 7;
    if (wire === 0) yield { no, wire, value: varint() };
    else if (wire === 1) {
      yield { no, wire, value: buf.subarray(at, at + 8) };
      at += 8;
    } else if (wire === 2) {
      const len = Number(varint());
      yield { no, wire, value: buf.subarray(at, at + len) };
      at += len;
    } else if (wire === 5) {
      yield { no, wire, value: buf.subarray(at, at + 4) };
      at += 4;
    } else throw new Error(`unsupported wire type ${wire}`);
  }
}

const text = new TextDecoder();
const hex = (b: Uint8Array) => Buffer.from(b).toString("hex");
const str = (f: Field) => text.decode(f.value as Uint8Array);

function anyValue(buf: Uint8Array): unknown {
  for (const f of fields(buf)) {
    if (f.no === 1) return str(f);
    if (f.no === 2) return f.value === 1n;
    if (f.no === 3) return Number(BigInt.asIntN(64, f.value as bigint));
    if (f.no === 4) return new DataView((f.value as Uint8Array).slice().buffer).getFloat64(0, true);
  }
  return undefined;
}

function keyValue(buf: Uint8Array, into: Record<string, unknown>): void {
  let key = "";
  let value: unknown;
  for (const f of fields(buf)) {
    if (f.no === 1) key = str(f);
    else if (f.no === 2) value = anyValue(f.value as Uint8Array);
  }
  into[key] = value;
}

function span(buf: Uint8Array, service: string, resource: Record<string, unknown>): ReceivedSpan {
  const s: ReceivedSpan = {
    service,
    traceId: "",
    spanId: "",
    parentSpanId: "",
    traceState: "",
    name: "",
    kind: 0,
    attributes: {},
    events: [],
    links: [],
    statusCode: 0,
    resource,
  };
  for (const f of fields(buf)) {
    const b = f.value as Uint8Array;
    if (f.no === 1) s.traceId = hex(b);
    else if (f.no === 2) s.spanId = hex(b);
    else if (f.no === 3) s.traceState = str(f);
    else if (f.no === 4) s.parentSpanId = hex(b);
    else if (f.no === 5) s.name = str(f);
    else if (f.no === 6) s.kind = Number(f.value);
    else if (f.no === 9) keyValue(b, s.attributes);
    else if (f.no === 11) {
      const e = { name: "", attributes: {} };
      for (const g of fields(b)) {
        if (g.no === 2) e.name = str(g);
        else if (g.no === 3) keyValue(g.value as Uint8Array, e.attributes);
      }
      s.events.push(e);
    } else if (f.no === 13) {
      const l = { traceId: "", spanId: "" };
      for (const g of fields(b)) {
        if (g.no === 1) l.traceId = hex(g.value as Uint8Array);
        else if (g.no === 2) l.spanId = hex(g.value as Uint8Array);
      }
      s.links.push(l);
    } else if (f.no === 15) {
      for (const g of fields(b)) if (g.no === 3) s.statusCode = Number(g.value);
    }
  }
  return s;
}

/** The spans of an `ExportTraceServiceRequest` in protobuf. */
export function decodeProtobufTraces(body: Uint8Array): ReceivedSpan[] {
  const out: ReceivedSpan[] = [];
  for (const rs of fields(body)) {
    if (rs.no !== 1) continue;
    const resource: Record<string, unknown> = {};
    const scopes: Uint8Array[] = [];
    for (const f of fields(rs.value as Uint8Array)) {
      if (f.no === 1)
        for (const a of fields(f.value as Uint8Array)) if (a.no === 1) keyValue(a.value as Uint8Array, resource);
      if (f.no === 2) scopes.push(f.value as Uint8Array);
    }
    const service = String(resource["service.name"] ?? "");
    for (const scope of scopes) {
      for (const f of fields(scope)) if (f.no === 2) out.push(span(f.value as Uint8Array, service, resource));
    }
  }
  return out;
}

interface JsonValue {
  stringValue?: string;
  boolValue?: boolean;
  intValue?: string | number;
  doubleValue?: number;
}
type JsonAttributes = { key: string; value: JsonValue }[] | undefined;

function jsonAttributes(list: JsonAttributes): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const { key, value } of list ?? []) {
    out[key] =
      value.stringValue ??
      value.boolValue ??
      (value.intValue !== undefined ? Number(value.intValue) : value.doubleValue);
  }
  return out;
}

/** The spans of an `ExportTraceServiceRequest` in OTLP/JSON (ids as hex, as the specification asks). */
export function decodeJsonTraces(body: string): ReceivedSpan[] {
  // biome-ignore lint/suspicious/noExplicitAny: the OTLP/JSON shape, read field by field below
  const request = JSON.parse(body) as { resourceSpans?: any[] };
  const out: ReceivedSpan[] = [];
  for (const rs of request.resourceSpans ?? []) {
    const resource = jsonAttributes(rs.resource?.attributes);
    const service = String(resource["service.name"] ?? "");
    for (const scope of rs.scopeSpans ?? []) {
      for (const s of scope.spans ?? []) {
        out.push({
          service,
          traceId: s.traceId ?? "",
          spanId: s.spanId ?? "",
          parentSpanId: s.parentSpanId ?? "",
          traceState: s.traceState ?? "",
          name: s.name,
          kind: s.kind ?? 0,
          attributes: jsonAttributes(s.attributes),
          events: (s.events ?? []).map((e: { name: string; attributes: JsonAttributes }) => ({
            name: e.name,
            attributes: jsonAttributes(e.attributes),
          })),
          links: (s.links ?? []).map((l: { traceId: string; spanId: string }) => ({
            traceId: l.traceId,
            spanId: l.spanId,
          })),
          statusCode: s.status?.code ?? 0,
          resource,
        });
      }
    }
  }
  return out;
}
