// `/docs`: Swagger UI served from the binary's own files and `/docs/openapi.json` generated from the
// config currently served (backend specs merged in, refreshed at most once a minute).
import { swaggerAssets } from "@shared/docs/swagger-assets.ts";
import type { GatewayRuntime } from "../proxy/endpoint.build.ts";
import { fetchBackendSpecs, openApiFromConfig } from "./openapi.ts";

const page = (title: string) => `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>${title}</title>
<link rel="stylesheet" href="/docs/assets/swagger-ui.css"></head>
<body><div id="ui"></div>
<script src="/docs/assets/swagger-ui-bundle.js"></script>
<script>window.ui = SwaggerUIBundle({ url: "/docs/openapi.json", dom_id: "#ui" });</script>
</body></html>`;

/** Creates the `/docs` handler; `fetchSpecs` is replaceable for tests. */
export function createDocs(
  info: { title: string; version: string },
  fetchSpecs: typeof fetchBackendSpecs = fetchBackendSpecs,
): (path: string, rt: GatewayRuntime) => Response | Promise<Response> {
  const cache = new WeakMap<GatewayRuntime, { at: number; body: Promise<string> }>();
  const html = page(`${info.title} ${info.version}`);
  return (path, rt) => {
    if (path === "/docs" || path === "/docs/") {
      return new Response(html, { headers: { "content-type": "text/html; charset=utf-8" } });
    }
    if (path === "/docs/openapi.json") {
      let entry = cache.get(rt);
      if (!entry || Date.now() - entry.at > 60_000) {
        entry = {
          at: Date.now(),
          body: fetchSpecs(rt).then((specs) => JSON.stringify(openApiFromConfig(rt, info, specs))),
        };
        cache.set(rt, entry);
      }
      return entry.body.then((body) => new Response(body, { headers: { "content-type": "application/json" } }));
    }
    const asset = swaggerAssets[path.slice("/docs/assets/".length)];
    if (path.startsWith("/docs/assets/") && asset) {
      return new Response(Bun.file(asset.path), {
        headers: { "content-type": asset.type, "cache-control": "public, max-age=86400" },
      });
    }
    return new Response("not found", { status: 404 });
  };
}
