// Swagger UI's files, embedded into compiled binaries by Bun's `type: "file"` imports: in a binary the
// paths point into the executable's own file system, so /docs needs no CDN and no node_modules.

import css from "swagger-ui-dist/swagger-ui.css" with { type: "file" };
import bundle from "swagger-ui-dist/swagger-ui-bundle.js" with { type: "file" };
import preset from "swagger-ui-dist/swagger-ui-standalone-preset.js" with { type: "file" };

/** File name -> embedded path and media type of the Swagger UI assets served under /docs/assets. */
export const swaggerAssets: Record<string, { path: string; type: string }> = {
  "swagger-ui-bundle.js": { path: bundle as unknown as string, type: "text/javascript; charset=utf-8" },
  "swagger-ui-standalone-preset.js": { path: preset as unknown as string, type: "text/javascript; charset=utf-8" },
  "swagger-ui.css": { path: css as unknown as string, type: "text/css; charset=utf-8" },
};
