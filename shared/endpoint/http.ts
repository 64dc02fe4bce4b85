import { createRoute, type OpenAPIHono, type RouteConfig, z } from "@hono/zod-openapi";
import { AppError, type FieldError, httpStatusOf } from "../errors/index.ts";
import { textFieldErrorOf } from "../errors/text.ts";
import { type AppEnv, identityOf, problemResponses } from "../http/index.ts";
import { fingerprintOf, idempotencyKeyHeader, idempotencyKeyHeaderName, keyOf } from "../idempotency/key.ts";
import type { IdempotencyStore, StoredAnswer } from "../idempotency/store.ts";
import type { CallContext, Endpoint, EndpointContract } from "./contract.ts";
import { ifNoneMatchHits } from "./etag.ts";
import { undecodableUrlFields } from "./percent.ts";

/** Where an endpoint's input comes from in an HTTP request, what the response carries, and how it is documented. */
export interface HttpBinding<Output = unknown> {
  method: "get" | "post" | "put" | "patch" | "delete";
  /** OpenAPI-style path, e.g. `/users/{id}`. */
  path: string;
  /** Input keys read from the path. */
  params?: readonly string[];
  /** Input keys read from the query string. */
  query?: readonly string[];
  /** Input keys read from request headers, by header name, e.g. `{ ifMatch: "if-match" }`. */
  requestHeaders?: Readonly<Record<string, string>>;
  /**
   * Where the JSON body goes: the remaining input keys (`true`, the default for post, put and patch), nowhere
   * (`false`), or the name of the one input key that takes the whole body (its schema documented as is).
   */
  body?: boolean | string;
  /** Success status (default 200); 204 answers no body. */
  status?: 200 | 201 | 202 | 204;
  /** Description of the success response (default "Success"). */
  description?: string;
  tags?: readonly string[];
  /** Response headers computed from the output and the call, e.g. `Location` or `ETag`. */
  headers?(output: Output, ctx: CallContext): Record<string, string>;
  /** Documents the headers of the success (and 304) response. */
  responseHeaders?: z.ZodObject<z.ZodRawShape>;
  /** Answers 304 with the headers and no body when If-None-Match names the `ETag` that `headers` gives. */
  notModified?: boolean;
  /** Marks the operation as needing the gateway's identity headers. */
  authenticated?: boolean;
  /** Checked before any input is read, e.g. a role the operation needs; throws an AppError to refuse. */
  authorize?(ctx: CallContext): void;
  /**
   * Honours an optional `Idempotency-Key` request header (draft-ietf-httpapi-idempotency-key-header): for
   * operations whose retry would create a second thing. Needs an idempotency store where it is mounted.
   */
  idempotencyKey?: boolean;
}

/** What mounting routes may need besides the routes and their endpoints. */
export interface MountOptions {
  /** Where routes with `idempotencyKey` keep keys and answers; required when such a route is mounted. */
  idempotency?: IdempotencyStore;
}

/** An HTTP binding together with the contract it serves: enough to document the operation without a handler. */
export interface HttpRoute<C extends EndpointContract = EndpointContract> extends HttpBinding<z.input<C["output"]>> {
  contract: C;
}

/** A service's HTTP routes, keyed like its endpoints. */
export type HttpRoutes = Record<string, HttpRoute>;

/**
 * Binds a contract to HTTP; the identity function gives `headers` the contract's output type.
 * @example const get = httpRoute(usersGet, { method: "get", path: "/users/{id}", params: ["id"] });
 */
export function httpRoute<C extends EndpointContract>(
  contract: C,
  binding: HttpBinding<z.input<C["output"]>>,
): HttpRoute<C> {
  return { ...binding, contract };
}

type AnyObject = z.ZodObject<z.ZodRawShape>;

const ifNoneMatchHeader = z.string().max(1000).optional();
const notModifiedDescription = "Not modified: the If-None-Match ETag is current";

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

/** Validates one request part into `into` (merged, or under `key`), collecting issues; a NUL or lone surrogate in a string is one. */
function parseInto(
  schema: z.ZodType,
  value: unknown,
  part: "params" | "query" | "header" | "body",
  into: Record<string, unknown>,
  issues: FieldError[],
  key?: string,
): void {
  const result = schema.safeParse(value);
  if (!result.success) {
    for (const issue of result.error.issues) {
      issues.push({ path: `/${[part, ...issue.path.map(String)].join("/")}`, message: issue.message });
    }
    return;
  }
  const text = textFieldErrorOf(result.data, [part]);
  if (text !== null) {
    issues.push(text);
    return;
  }
  if (key === undefined) Object.assign(into, result.data);
  else into[key] = result.data;
}

function pick(schema: AnyObject, keys: readonly string[]): AnyObject | undefined {
  if (keys.length === 0) return undefined;
  return schema.pick(Object.fromEntries(keys.map((k) => [k, true])) as never) as unknown as AnyObject;
}

/** A binding resolved once: its OpenAPI route and the schema of each request part. */
interface Plan {
  route: RouteConfig;
  params?: AnyObject;
  query?: AnyObject;
  /** Request headers by name, including If-None-Match when the binding answers 304. */
  headers?: AnyObject;
  /** [header name, input key] pairs. */
  headerInputs: [string, string][];
  body?: z.ZodType;
  /** The input key the whole body goes to; undefined merges the body's keys. */
  bodyKey?: string;
  status: 200 | 201 | 202 | 204;
}

function planOf(contract: EndpointContract, binding: HttpBinding): Plan {
  if (!(contract.input instanceof z.ZodObject)) {
    throw new Error(`${contract.name}: HTTP binding needs an object input schema`);
  }
  const input = contract.input as AnyObject;
  const params = binding.params ?? [];
  const query = binding.query ?? [];
  const headerInputs = Object.entries(binding.requestHeaders ?? {}).map(([key, name]): [string, string] => [name, key]);
  const hasBody =
    binding.body !== false && (binding.body !== undefined || ["post", "put", "patch"].includes(binding.method));
  const bodyKey = typeof binding.body === "string" ? binding.body : undefined;
  const elsewhere = new Set([...params, ...query, ...headerInputs.map(([, key]) => key)]);
  const bodyKeys = Object.keys(input.shape).filter((k) => !elsewhere.has(k));
  let body: z.ZodType | undefined;
  if (bodyKey !== undefined) body = input.shape[bodyKey] as z.ZodType;
  else if (hasBody && bodyKeys.length) body = elsewhere.size === 0 ? input : pick(input, bodyKeys);

  const headerShape: Record<string, z.ZodType> = {};
  for (const [name, key] of headerInputs) headerShape[name] = input.shape[key] as z.ZodType;
  if (binding.notModified) headerShape["if-none-match"] = ifNoneMatchHeader;
  if (binding.idempotencyKey) headerShape[idempotencyKeyHeaderName] = idempotencyKeyHeader;
  const headers = Object.keys(headerShape).length ? z.object(headerShape) : undefined;

  const status = binding.status ?? 200;
  const description = binding.description ?? "Success";
  const documentedHeaders = binding.responseHeaders ? { headers: binding.responseHeaders } : {};
  const success =
    status === 204
      ? { description, ...documentedHeaders }
      : { description, ...documentedHeaders, content: { "application/json": { schema: contract.output } } };
  const errorStatuses = [...new Set(contract.errors.map(httpStatusOf))].sort();
  if (hasBody) errorStatuses.push(413, 415);
  if (binding.idempotencyKey) errorStatuses.push(409, 422);
  const paramsSchema = pick(input, params);
  const querySchema = pick(input, query);
  const route = createRoute({
    method: binding.method,
    path: binding.path,
    operationId: contract.name,
    summary: contract.summary,
    tags: binding.tags ? [...binding.tags] : undefined,
    security: binding.authenticated ? [{ gatewayIdentity: [] }] : undefined,
    request: {
      params: paramsSchema,
      query: querySchema,
      headers,
      body: body ? { content: { "application/json": { schema: body } }, required: true } : undefined,
    },
    responses: {
      [status]: success,
      ...(binding.notModified ? { 304: { description: notModifiedDescription, ...documentedHeaders } } : {}),
      ...problemResponses(...new Set(errorStatuses)),
    },
  });
  return { route, params: paramsSchema, query: querySchema, headers, headerInputs, body, bodyKey, status };
}

/**
 * Documents every route in the app's OpenAPI registry without serving it: the document of a service
 * built from its contracts alone, with no service behind them.
 */
export function describeHttpRoutes(app: OpenAPIHono<AppEnv>, routes: HttpRoutes): void {
  for (const route of Object.values(routes)) app.openAPIRegistry.registerPath(planOf(route.contract, route).route);
}

/**
 * Serves each route with the endpoint of the same key (which must implement the route's contract).
 * @example mountHttpRoutes(app, usersRoutes, makeUsersEndpoints(users));
 */
export function mountHttpRoutes<R extends HttpRoutes>(
  app: OpenAPIHono<AppEnv>,
  routes: R,
  endpoints: { [K in keyof R]: Endpoint },
  options: MountOptions = {},
): void {
  for (const [key, route] of Object.entries(routes)) {
    const endpoint = endpoints[key as keyof R];
    if (endpoint.name !== route.contract.name) {
      throw new Error(`route ${key} serves ${route.contract.name}, but its endpoint implements ${endpoint.name}`);
    }
    mountHttpEndpoint(app, endpoint, route, options);
  }
}

/**
 * Serves an endpoint as an OpenAPI route: the contract's input schema is split into path, query, header
 * and body parts, validated once per part on the one validation path, merged, and handed to the same
 * handler NATS uses; the binding adds response headers, 304 answers, checks made before any input and,
 * with `idempotencyKey`, answers kept in `options.idempotency` for retries that carry the same key.
 * @example mountHttpEndpoint(app, getUser, { method: "get", path: "/users/{id}", params: ["id"] });
 */
export function mountHttpEndpoint<O>(
  app: OpenAPIHono<AppEnv>,
  endpoint: Endpoint,
  binding: HttpBinding<O>,
  options: MountOptions = {},
): void {
  const plan = planOf(endpoint, binding as HttpBinding);
  // The route is registered for the OpenAPI document only; requests are validated here, synchronously
  // and once per part, instead of by zod-openapi's chain of async validator middlewares.
  app.openAPIRegistry.registerPath(plan.route);
  const { params, query, headers, headerInputs, body, bodyKey, status } = plan;
  const headerNames = headers ? Object.keys(headers.shape) : [];
  const notModified = binding.notModified === true;
  const queryKeys = binding.query ?? [];
  const store = binding.idempotencyKey ? options.idempotency : undefined;
  if (binding.idempotencyKey && !store) {
    throw new Error(`${endpoint.name} honours Idempotency-Key: mount it with an idempotency store`);
  }
  app.on(binding.method.toUpperCase(), toHonoPath(binding.path), async (c) => {
    const ctx: CallContext = {
      identity: identityOf(c),
      requestId: c.get("requestId"),
      traceId: c.get("traceId"),
      // always set, so that every call's context has one shape whether its trace is recorded or not
      sampled: c.get("unsampled") !== true,
    };
    binding.authorize?.(ctx);
    const merged: Record<string, unknown> = {};
    const issues: FieldError[] = [];
    const rawParams = params ? c.req.param() : undefined;
    const rawQuery = query ? c.req.query() : undefined;
    if (params) parseInto(params, rawParams, "params", merged, issues);
    if (query) parseInto(query, rawQuery, "query", merged, issues);
    // The router leaves a value it cannot decode as sent, `%` included: only then is the URL looked at.
    if (holdsPercent(rawParams) || holdsPercent(rawQuery)) {
      for (const issue of undecodableUrlFields(c.req.url, binding.path, params !== undefined, queryKeys)) {
        if (!issues.some((i) => i.path === issue.path)) issues.push(issue);
      }
    }
    let ifNoneMatch: string | undefined;
    let idempotencyKey: string | undefined;
    if (headers) {
      const raw: Record<string, string | undefined> = {};
      for (const name of headerNames) raw[name] = c.req.header(name);
      const parsed: Record<string, unknown> = {};
      parseInto(headers, raw, "header", parsed, issues);
      for (const [name, key] of headerInputs) merged[key] = parsed[name];
      ifNoneMatch = parsed["if-none-match"] as string | undefined;
      idempotencyKey = parsed[idempotencyKeyHeaderName] as string | undefined;
    }
    if (body) parseInto(body, await jsonBody(c.req.raw), "body", merged, issues, bodyKey);
    if (issues.length) {
      const where = [...new Set(issues.map((i) => i.path.split("/")[1]))].join(" and ");
      throw new AppError("invalid_argument", `Request ${where} is invalid`, { fields: issues });
    }
    if (store && idempotencyKey !== undefined) {
      const claim = {
        scope: ctx.identity?.userId ?? "anonymous",
        key: keyOf(idempotencyKey),
        fingerprint: fingerprintOf(endpoint.name, merged),
      };
      const { answer, replayed } = await store.run(claim, async () => {
        const output = (await endpoint.handle(merged, ctx)) as O;
        return answerOf(output, status, binding.headers?.(output, ctx));
      });
      return c.body(
        answer.body as string,
        answer.status as 200,
        replayed ? { ...answer.headers, ...replayedHeader } : answer.headers,
      );
    }
    const output = (await endpoint.handle(merged, ctx)) as O;
    const responseHeaders = binding.headers?.(output, ctx);
    if (notModified && responseHeaders?.ETag !== undefined && ifNoneMatchHits(ifNoneMatch, responseHeaders.ETag)) {
      return c.body(null, 304, responseHeaders);
    }
    if (status === 204) return c.body(null, 204, responseHeaders);
    return c.json(output as object, status, responseHeaders);
  });
}

function holdsPercent(values: Record<string, string> | undefined): boolean {
  if (values === undefined) return false;
  for (const key in values) if (values[key]!.includes("%")) return true;
  return false;
}

/** Marks an answer given again for a retry (as Stripe does; the draft names no header). */
const replayedHeader = { "idempotent-replayed": "true" } as const;

/** A success as the idempotency store keeps it: what `c.json` (or the 204) would have sent. */
function answerOf(output: unknown, status: number, headers: Record<string, string> | undefined): StoredAnswer {
  if (status === 204) return { status, body: null, headers: { ...headers } };
  return { status, body: JSON.stringify(output), headers: { ...headers, "content-type": "application/json" } };
}
