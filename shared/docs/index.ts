import { swaggerUI } from "@hono/swagger-ui";
import type { OpenAPIHono } from "@hono/zod-openapi";
import { stringify } from "yaml";
import { completeOperations } from "./operations.ts";
import { swaggerAssets } from "./swagger-assets.ts";

/** What the OpenAPI document says about the service. */
export interface DocsInfo {
  title: string;
  version: string;
  description?: string;
}

/**
 * Builds the service's OpenAPI 3.1 document from its routes, with `info.version` = the build version and
 * the service's own origin (`/`) as its server. Operational routes (health, metrics, docs) are not part of
 * it. Operations that declare no security get `security: []` and unnamed ones a method-and-path id.
 */
// biome-ignore lint/suspicious/noExplicitAny: any app env
export function openApiDocument(app: OpenAPIHono<any>, info: DocsInfo): Record<string, unknown> {
  app.openAPIRegistry.registerComponent("securitySchemes", "gatewayIdentity", {
    type: "apiKey",
    in: "header",
    name: "X-User-Id",
    description: "Set by the gateway from the verified access token; client copies are stripped.",
  });
  const document = app.getOpenAPI31Document({
    openapi: "3.1.0",
    info: { title: info.title, version: info.version, description: info.description },
    servers: [{ url: "/" }],
  }) as unknown as Record<string, unknown>;
  return completeOperations(document);
}

/**
 * Mounts `/openapi.json`, `/openapi.yaml` and `/docs` (Swagger UI served from the binary's own files).
 * The document is computed once, at mount time.
 */
// biome-ignore lint/suspicious/noExplicitAny: any app env
export function mountDocs(app: OpenAPIHono<any>, document: Record<string, unknown>, info: DocsInfo): void {
  const json = JSON.stringify(document);
  const yaml = stringify(document);
  app.get("/openapi.json", (c) => c.body(json, 200, { "content-type": "application/json" }));
  app.get("/openapi.yaml", (c) => c.body(yaml, 200, { "content-type": "application/yaml" }));
  app.get("/docs/assets/swagger-ui-dist/:file", (c) => {
    const asset = swaggerAssets[c.req.param("file")];
    if (!asset) return c.notFound();
    return new Response(Bun.file(asset.path), {
      headers: { "content-type": asset.type, "cache-control": "public, max-age=86400" },
    });
  });
  app.get(
    "/docs",
    // validatorUrl "none": on a public host Swagger UI would otherwise load a badge from validator.swagger.io.
    swaggerUI({
      url: "/openapi.json",
      baseUrl: "/docs/assets",
      validatorUrl: "none",
      title: `${info.title} ${info.version}`,
    }),
  );
}
