import { createRoute, type OpenAPIHono, type RouteConfig, z } from "@hono/zod-openapi";
import { AppError, type FieldError, httpStatusOf } from "../errors/index.ts";
import { type AppEnv, identityOf, problemResponses } from "../http/index.ts";
import type { CallContext, Endpoint } from "./contract.ts";

/** Where an endpoint's input comes from in an HTTP request, and how it is documented. */
export interface HttpBinding<Output = unknown> {
  method: "get" | "post" | "put" | "patch" | "delete";
  /** OpenAPI-style path, e.g. `/users/{id}`. */
  path: string;
  /** Input keys read from the path. */
  params?: readonly string[];
  /** Input keys read from the query string. */
  query?: readonly string[];
  /** Whether the remaining input keys come from a JSON body (default: for post, put and patch). */
  body?: boolean;
  /** Success status (default 200). */
  status?: 200 | 201 | 202;
  tags?: readonly string[];
  /** Response headers computed from the output, e.g. `Location` or `ETag`. */
  headers?: (output: Output) => Record<string, string>;
  /** Marks the operation as needing the gateway's identity headers. */
  authenticated?: boolean;
}

type AnyObject = z.ZodObject<z.ZodRawShape>;

/** `/users/{id}` -> `/users/:id`. */
function toHonoPath(path: string): string {
  return path.replace(/\{([^}]+)\}/g, ":$1");
}

async function jsonBody(req: Request): Promise<unknown> {
  const text = await req.text();
  if (text.trim() === "") return {};
  try {
    return JSON.parse(text);
  } catch {
    throw new AppError("invalid_argument", "Malformed JSON in request body");
  }
}

function parseInto(
  schema: AnyObject,
  value: unknown,
  part: "params" | "query" | "body",
  into: Record<string, unknown>,
  issues: FieldError[],
): void {
  const result = schema.safeParse(value);
  if (result.success) {
    Object.assign(into, result.data);
    return;
  }
  for (const issue of result.error.issues) {
    issues.push({ path: `/${[part, ...issue.path.map(String)].join("/")}`, message: issue.message });
  }
}

function pick(schema: AnyObject, keys: readonly string[]): AnyObject | undefined {
  if (keys.length === 0) return undefined;
  return schema.pick(Object.fromEntries(keys.map((k) => [k, true])) as never) as unknown as AnyObject;
}

/**
 * Serves an endpoint as an OpenAPI route: the contract's input schema is split into path, query and body
 * parts, validated by the app's single validation hook, merged, and handed to the same handler NATS uses.
 * @example mountHttpEndpoint(app, getUser, { method: "get", path: "/users/{id}", params: ["id"] });
 */
export function mountHttpEndpoint<O>(app: OpenAPIHono<AppEnv>, endpoint: Endpoint, binding: HttpBinding<O>): void {
  if (!(endpoint.input instanceof z.ZodObject)) {
    throw new Error(`${endpoint.name}: HTTP binding needs an object input schema`);
  }
  const input = endpoint.input as AnyObject;
  const params = binding.params ?? [];
  const query = binding.query ?? [];
  const hasBody = binding.body ?? ["post", "put", "patch"].includes(binding.method);
  const bodyKeys = Object.keys(input.shape).filter((k) => !params.includes(k) && !query.includes(k));
  const status = binding.status ?? 200;
  const errorStatuses = [...new Set(endpoint.errors.map(httpStatusOf))].sort();
  if (hasBody) errorStatuses.push(413, 415);
  const route: RouteConfig = createRoute({
    method: binding.method,
    path: binding.path,
    operationId: endpoint.name,
    summary: endpoint.summary,
    tags: binding.tags ? [...binding.tags] : undefined,
    security: binding.authenticated ? [{ gatewayIdentity: [] }] : undefined,
    request: {
      params: pick(input, params),
      query: pick(input, query),
      body:
        hasBody && bodyKeys.length
          ? { content: { "application/json": { schema: pick(input, bodyKeys)! } }, required: true }
          : undefined,
    },
    responses: {
      [status]: { description: "Success", content: { "application/json": { schema: endpoint.output } } },
      ...problemResponses(...new Set(errorStatuses)),
    },
  });
  // The route is registered for the OpenAPI document only; requests are validated here, synchronously
  // and once per part, instead of by zod-openapi's chain of async validator middlewares.
  app.openAPIRegistry.registerPath(route);
  const paramsSchema = pick(input, params);
  const querySchema = pick(input, query);
  const bodySchema = hasBody && bodyKeys.length ? pick(input, bodyKeys) : undefined;
  app.on(binding.method.toUpperCase(), toHonoPath(binding.path), async (c) => {
    const merged: Record<string, unknown> = {};
    const issues: FieldError[] = [];
    if (paramsSchema) parseInto(paramsSchema, c.req.param(), "params", merged, issues);
    if (querySchema) parseInto(querySchema, c.req.query(), "query", merged, issues);
    if (bodySchema) parseInto(bodySchema, await jsonBody(c.req.raw), "body", merged, issues);
    if (issues.length) {
      const where = [...new Set(issues.map((i) => i.path.split("/")[1]))].join(" and ");
      throw new AppError("invalid_argument", `Request ${where} is invalid`, { fields: issues });
    }
    const ctx: CallContext = {
      identity: identityOf(c),
      requestId: c.get("requestId"),
      traceId: c.get("traceId"),
    };
    const output = (await endpoint.handle(merged, ctx)) as O;
    return c.json(output as object, status, binding.headers?.(output));
  });
}
