// The gateway's public API as an OpenAPI 3.1 document, generated from the config. Where a backend serves
// `/openapi.json`, the matching operation's summary, request body and responses are merged in.
import { operationIdFor } from "@shared/docs/operations.ts";
import type { GatewayRuntime } from "../proxy/endpoint.build.ts";
import type { BackendRuntime, EndpointRuntime } from "../proxy/endpoint.types.ts";

type Json = Record<string, unknown>;

const normalise = (p: string) => p.split("?")[0]!.replace(/\{[^}]+\}/g, "{}");

/** Finds the backend spec's operation for a path pattern and method, whatever its parameter names. */
function findOperation(spec: Json | undefined, pattern: string, method: string): Json | undefined {
  const paths = spec?.paths as Record<string, Record<string, Json>> | undefined;
  if (!paths) return undefined;
  const want = normalise(pattern);
  for (const [p, ops] of Object.entries(paths)) {
    if (normalise(p) === want) return ops[method.toLowerCase()];
  }
  return undefined;
}

/** The backend's `url_pattern` as configured, without its query: `/users/{id}`. */
function backendPath(be: BackendRuntime, ep: EndpointRuntime): string {
  const path = be.url.parts
    .map((p) => {
      if (p.t === "lit") return p.v;
      if (p.t === "param") return `{${ep.params[p.i] ?? "param"}}`;
      if (p.t === "jwt") return `{JWT.${p.path.join(".")}}`;
      return `{resp${p.n}_${p.path.join(".")}}`;
    })
    .join("")
    .split("?")[0]!;
  return be.url.wildcard ? `${path}/{path}` : path;
}

function operationFor(ep: EndpointRuntime, specs: Map<string, Json>): Json {
  const params = ep.params.map((name) => ({ name, in: "path", required: true, schema: { type: "string" } }));
  if (ep.wildcard) {
    params.push({ name: "path", in: "path", required: true, schema: { type: "string" } });
  }
  const query =
    ep.inputQuery.all === false
      ? [...ep.inputQuery.names].map((name) => ({ name, in: "query", required: false, schema: { type: "string" } }))
      : [];
  const segments = ep.path.split("/").filter((s) => s && !s.startsWith("{") && s !== "*");
  const tag = segments[0] === "api" ? (segments[1] ?? "api") : (segments[0] ?? "root");
  const op: Json = {
    operationId: operationIdFor(ep.method, ep.path),
    tags: [tag],
    summary:
      ep.backends.length === 1
        ? `Forwards to ${(ep.backends[0]!.method ?? ep.method).toUpperCase()} ${backendPath(ep.backends[0]!, ep)}`
        : `Merges ${ep.backends.length} backends`,
    parameters: [...params, ...query],
    responses: {
      "200": { description: "Success" },
      ...(ep.auth ? { "401": { description: "Missing or invalid token" }, "403": { description: "Forbidden" } } : {}),
      "500": { description: "Backend failure" },
    },
    // Public endpoints say so: an operation without `security` would leave it to a document-wide default.
    security: ep.auth ? [{ bearer: [] }] : [],
  };
  if (ep.backends.length === 1) {
    const be = ep.backends[0]!;
    const found = findOperation(
      specs.get(be.hosts[0] ?? ""),
      be.url.parts.map((p) => (p.t === "lit" ? p.v : "{x}")).join(""),
      be.method ?? ep.method,
    );
    if (found) {
      for (const key of ["summary", "description", "requestBody"] as const)
        if (found[key] !== undefined) op[key] = found[key];
      if (found.responses) op.responses = { ...(found.responses as Json), ...(op.responses as Json) };
      for (const key of Object.keys(op.responses as Json)) {
        const r = (found.responses as Json | undefined)?.[key];
        if (r) (op.responses as Json)[key] = r;
      }
    }
  }
  return op;
}

/** Builds the document; `specs` maps a backend host to its own OpenAPI document. */
export function openApiFromConfig(
  rt: GatewayRuntime,
  info: { title: string; version: string },
  specs: Map<string, Json> = new Map(),
): Json {
  const paths: Record<string, Json> = {};
  for (const ep of rt.endpoints) {
    const path = ep.wildcard ? `${ep.path.slice(0, -2)}/{path}` : ep.path;
    paths[path] ??= {};
    paths[path][ep.method.toLowerCase()] = operationFor(ep, specs);
  }
  const components: Json = {};
  if (rt.endpoints.some((e) => e.auth)) {
    components.securitySchemes = { bearer: { type: "http", scheme: "bearer", bearerFormat: "JWT" } };
  }
  return {
    openapi: "3.1.0",
    info: { title: info.title, version: info.version, description: "Generated from the gateway config." },
    // The gateway's own origin: every path here is served where this document is.
    servers: [{ url: "/" }],
    paths,
    components,
  };
}

/** Fetches `/openapi.json` from every backend host; hosts that do not answer are skipped. */
export async function fetchBackendSpecs(rt: GatewayRuntime, timeoutMs = 1000): Promise<Map<string, Json>> {
  const hosts = new Set(rt.endpoints.flatMap((e) => e.backends.flatMap((b) => b.hosts.slice(0, 1))));
  const out = new Map<string, Json>();
  await Promise.all(
    [...hosts].map(async (host) => {
      try {
        const res = await fetch(`${host}/openapi.json`, { signal: AbortSignal.timeout(timeoutMs) });
        if (res.ok) out.set(host, (await res.json()) as Json);
        else await res.body?.cancel();
      } catch {
        // A backend without a spec just contributes nothing.
      }
    }),
  );
  return out;
}
