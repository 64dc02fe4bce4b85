import type { OpenAPIHono } from "@hono/zod-openapi";
import { asyncApiDocument, mountAsyncApi, platformEvents } from "@shared/events";
import type { AppEnv } from "@shared/http";
import { createServiceApp, type ServiceAppOptions, serviceApiDocument } from "@shared/service";
import type { OrdersEndpoints } from "./orders.endpoints.ts";
import { ordersRoutes } from "./orders.routes.ts";

/** What the orders HTTP app needs; orders.module.ts builds it, tests build it with fakes. */
export interface AppDeps extends ServiceAppOptions {
  endpoints: OrdersEndpoints;
}

const info = {
  title: "orders",
  description: [
    "Orders placed at catalog's current prices; list, read and cancel. Identity arrives from the gateway as",
    "X-User-Id and X-User-Roles. An order the caller may not see answers 404, like one that does not exist.",
    "Placing holds the lines' stock in catalog: the order is `pending` while it does, then `placed`.",
    "Lines the catalog refuses (unknown, inactive, short of stock, mixed currencies) answer 409 naming each line;",
    "a catalog that cannot answer in time answers 503. A refusal or timeout after the order was written leaves it",
    "`rejected`, its stock released; cancelling releases the stock too.",
  ].join(" "),
};

/** The OpenAPI document, from the routes' contracts alone (no service, no connections). */
export function createApiDocument(version: string): Record<string, unknown> {
  return serviceApiDocument(info, version, ordersRoutes);
}

/** The orders service's Hono app with API, health, metrics and docs routes. */
export function createApp(deps: AppDeps): OpenAPIHono<AppEnv> {
  return createServiceApp(
    info,
    deps,
    ordersRoutes,
    deps.endpoints,
    // The events orders publishes, next to its OpenAPI document (ADR 0001).
    (app) => mountAsyncApi(app, asyncApiDocument(platformEvents, { service: "orders", version: deps.version })),
  );
}
