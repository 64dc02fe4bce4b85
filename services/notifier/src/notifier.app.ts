import type { OpenAPIHono } from "@hono/zod-openapi";
import type { AppEnv } from "@shared/http";
import { createServiceApp, type ServiceAppOptions, serviceApiDocument } from "@shared/service";
import type { NotifierEndpoints } from "./notifier.endpoints.ts";
import { notifierRoutes } from "./notifier.routes.ts";

/** What the notifier HTTP app needs; notifier.module.ts builds it, tests build it with fakes. */
export interface AppDeps extends ServiceAppOptions {
  endpoints: NotifierEndpoints;
}

const info = {
  title: "notifier",
  description: [
    "Notifications made from the shop's events (an order placed or cancelled, a user registered), one per",
    "event, consumed durably and exactly once into the database. Identity arrives from the gateway as",
    "X-User-Id and X-User-Roles; a user sees only their own notifications.",
  ].join(" "),
};

/** The OpenAPI document, from the routes' contracts alone (no service, no connections). */
export function createApiDocument(version: string): Record<string, unknown> {
  return serviceApiDocument(info, version, notifierRoutes);
}

/** The notifier service's Hono app with API, health, metrics and docs routes. */
export function createApp(deps: AppDeps): OpenAPIHono<AppEnv> {
  return createServiceApp(info, deps, notifierRoutes, deps.endpoints);
}
