// Sends a NUL and a lone surrogate in every string field of every operation of a service's OpenAPI document
// (path parameters, query parameters, body strings at any depth) and collects every answer that is not a
// 400 naming that field. A valid request is built from the document first; each poisoned request differs
// from it in one field only, so a 400 can only come from that field.

type Schema = Record<string, unknown>;
type Doc = {
  paths: Record<string, Record<string, Operation>>;
  components?: { schemas?: Record<string, Schema> };
};
type Parameter = { name: string; in: string; required?: boolean; schema?: Schema };
type Operation = {
  operationId?: string;
  parameters?: Parameter[];
  requestBody?: { content?: Record<string, { schema?: Schema }> };
};

/** Something that answers requests without a port: a Hono app. */
export interface RequestTarget {
  request(path: string, init?: RequestInit): Response | Promise<Response>;
}

/** One request that did not answer as expected. */
export interface FuzzFailure {
  operation: string;
  /** Where the poison went, e.g. `/body/name`; `valid request` for the unpoisoned one. */
  field: string;
  poison: string;
  status: number;
  detail: string;
}

const poisons = [
  // In JSON text both are escapes (`\u0000`, `\ud800`); in a URL, bytes: NUL, and U+D800 in CESU-8.
  { name: "NUL", text: "a\u0000b", url: "a%00b" },
  { name: "lone surrogate", text: "a\ud800b", url: "a%ED%A0%80b" },
] as const;

const sampleUuid = "0190d9a4-6b1e-7c3a-9f51-2b9d3c4e5f99";

function resolve(doc: Doc, schema: Schema | undefined): Schema {
  let s = schema ?? {};
  for (let i = 0; i < 16 && typeof s.$ref === "string"; i++) {
    s = doc.components?.schemas?.[(s.$ref as string).split("/").pop()!] ?? {};
  }
  const options = (s.anyOf ?? s.oneOf) as Schema[] | undefined;
  if (options) return resolve(doc, options.find((o) => o.type !== "null") ?? options[0]);
  return s;
}

function sampleString(s: Schema): string {
  if (s.example !== undefined) return String(s.example);
  if (Array.isArray(s.enum)) return String(s.enum[0]);
  if (s.default !== undefined) return String(s.default);
  if (s.format === "uuid") return sampleUuid;
  if (s.format === "email") return "fuzz@example.com";
  if (s.format === "date-time") return new Date(0).toISOString();
  return "x".repeat(Math.max(1, Number(s.minLength ?? 1)));
}

/** A valid value of a schema: examples first, then defaults, then the smallest value of its type. */
function sample(doc: Doc, schema: Schema | undefined, depth = 0): unknown {
  const s = resolve(doc, schema);
  if (s.example !== undefined && s.type !== "object" && s.type !== "array") return s.example;
  if (Array.isArray(s.enum)) return s.enum[0];
  switch (s.type) {
    case "string":
      return sampleString(s);
    case "integer":
    case "number":
      return s.default ?? Math.max(Number(s.minimum ?? 1), 1);
    case "boolean":
      return s.default ?? true;
    case "array":
      return depth > 8
        ? []
        : Array.from({ length: Math.max(1, Number(s.minItems ?? 1)) }, () => sample(doc, s.items as Schema, depth + 1));
    default: {
      const out: Record<string, unknown> = {};
      for (const [key, property] of Object.entries((s.properties ?? {}) as Record<string, Schema>)) {
        if (depth <= 8) out[key] = sample(doc, property, depth + 1);
      }
      return out;
    }
  }
}

/** JSON-pointer paths of every string in a value, with the value itself for setting. */
function stringPaths(value: unknown, path: string[] = []): string[][] {
  if (typeof value === "string") return [path];
  if (Array.isArray(value)) return value.flatMap((v, i) => stringPaths(v, [...path, String(i)]));
  if (value && typeof value === "object") {
    return Object.entries(value).flatMap(([k, v]) => stringPaths(v, [...path, k]));
  }
  return [];
}

function withStringAt(value: unknown, path: readonly string[], text: string): unknown {
  const copy = structuredClone(value);
  if (path.length === 0) return text;
  let at = copy as Record<string, unknown>;
  for (const key of path.slice(0, -1)) at = at[key] as Record<string, unknown>;
  at[path.at(-1)!] = text;
  return copy;
}

interface Call {
  path: Record<string, string>;
  query: Record<string, string>;
  body: unknown;
}

function urlOf(template: string, call: Call): string {
  const path = template.replace(/\{([^}]+)\}/g, (_, name: string) => call.path[name] ?? "");
  const query = Object.entries(call.query)
    .map(([k, v]) => `${k}=${v}`)
    .join("&");
  return query ? `${path}?${query}` : path;
}

/** What a fuzz run did: operations and poisoned requests sent, and what failed. */
export interface FuzzReport {
  operations: number;
  requests: number;
  failures: FuzzFailure[];
}

/**
 * Fuzzes every operation of the app's `/openapi.json` with NUL and lone surrogates in each string field and
 * reports what did not answer 400 problem+json naming the field (no failures when all did).
 * @example expect((await fuzzTextFields(app, { headers: { "x-user-id": adminId, "x-user-roles": "admin" } })).failures).toEqual([]);
 */
export async function fuzzTextFields(
  app: RequestTarget,
  options: {
    /** Sent with every request: identity headers of a caller allowed everywhere, so refusals come from the input. */
    headers: Record<string, string>;
    /** Valid bodies by operation id, where the service asks more than the schema says (e.g. fields that exclude each other). */
    bodies?: Record<string, unknown>;
  },
): Promise<FuzzReport> {
  const { headers, bodies = {} } = options;
  const doc = (await (await app.request("/openapi.json")).json()) as Doc;
  const report: FuzzReport = { operations: 0, requests: 0, failures: [] };
  const failures = report.failures;
  for (const [template, operations] of Object.entries(doc.paths)) {
    for (const [method, op] of Object.entries(operations)) {
      const operation = op.operationId ?? `${method} ${template}`;
      report.operations++;
      const bodySchema = op.requestBody?.content?.["application/json"]?.schema;
      const body = operation in bodies ? bodies[operation] : bodySchema ? sample(doc, bodySchema) : undefined;
      const valid: Call = { path: {}, query: {}, body };
      const stringParams: Parameter[] = [];
      for (const p of op.parameters ?? []) {
        const s = resolve(doc, p.schema);
        if (p.in === "path") valid.path[p.name] = encodeURIComponent(String(sample(doc, s)));
        // Optional query parameters stay out of the valid request (their rules are often beyond a schema).
        if (p.in === "query" && p.required) valid.query[p.name] = encodeURIComponent(String(sample(doc, s)));
        if ((p.in === "path" || p.in === "query") && s.type === "string") stringParams.push(p);
      }
      const send = (call: Call) =>
        app.request(urlOf(template, call), {
          method: method.toUpperCase(),
          headers: { ...headers, ...(call.body === undefined ? {} : { "content-type": "application/json" }) },
          body: call.body === undefined ? undefined : JSON.stringify(call.body),
        });
      const baseline = await send(valid);
      if (baseline.status === 400 || baseline.status >= 500) {
        failures.push({
          operation,
          field: "valid request",
          poison: "none",
          status: baseline.status,
          detail: await baseline.text(),
        });
        continue;
      }
      const cases: { field: string; call: (poison: (typeof poisons)[number]) => Call }[] = [
        ...stringParams.map((p) => ({
          field: `/${p.in === "path" ? "params" : "query"}/${p.name}`,
          call: (poison: (typeof poisons)[number]) =>
            p.in === "path"
              ? { ...valid, path: { ...valid.path, [p.name]: `${valid.path[p.name]}${poison.url}` } }
              : {
                  ...valid,
                  query: {
                    ...valid.query,
                    [p.name]: `${encodeURIComponent(sampleString(resolve(doc, p.schema)))}${poison.url}`,
                  },
                },
        })),
        ...stringPaths(valid.body).map((path) => ({
          field: `/body/${path.join("/")}`,
          call: (poison: (typeof poisons)[number]) => ({ ...valid, body: withStringAt(valid.body, path, poison.text) }),
        })),
      ];
      for (const { field, call } of cases) {
        for (const poison of poisons) {
          const res = await send(call(poison));
          report.requests++;
          const text = await res.text();
          const named = res.status === 400 && text.includes(`"path":"${field}"`);
          if (!named || res.headers.get("content-type") !== "application/problem+json") {
            failures.push({ operation, field, poison: poison.name, status: res.status, detail: text.slice(0, 300) });
          }
        }
      }
    }
  }
  return report;
}
