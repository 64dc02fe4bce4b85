import type { OpenAPIHono } from "@hono/zod-openapi";
import type { AppEnv } from "@shared/http";
import { createServiceApp, type ServiceAppOptions, serviceApiDocument } from "@shared/service";
import { makeNotifierEndpoints, type NotifierEndpoints } from "./notifier.endpoints.ts";
import { mountNotifierRoutes } from "./notifier.routes.ts";
import type { NotifierService } from "./notifier.service.ts";

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

/** Builds the API routes alone, e.g. to generate the OpenAPI document without serving. */
export function createApiDocument(version: string): Record<string, unknown> {
  // Handlers are never called here, so the routes need no service.
  return serviceApiDocument(info, version, (app) => {
    mountNotifierRoutes(app, makeNotifierEndpoints(undefined as unknown as NotifierService));
  });
}

/** The notifier service's Hono app with API, health, metrics and docs routes. */
export function createApp(deps: AppDeps): OpenAPIHono<AppEnv> {
  return createServiceApp(info, deps, (app) => {
    mountNotifierRoutes(app, deps.endpoints);
  });
}
