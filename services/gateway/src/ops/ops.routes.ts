// The operational routes on the public port: health, the Prometheus scrape (unless it has a listener of its
// own) and the API docs. They are answered before routing and never reach the access log.
import type { GatewayRuntime } from "../proxy/endpoint.build.ts";

/** What the operational routes answer with. */
export interface OpsRoutesOptions {
  health: () => Response;
  /** `/metrics`; null when it has a listener of its own (`telemetry/metrics.listen_address`): the public port
   * then answers it 404 like any path without a route. */
  metrics: (() => Promise<Response>) | null;
  /** `/docs`, `/docs/*`: Swagger UI and the OpenAPI document. */
  docs: (path: string, rt: GatewayRuntime) => Response | Promise<Response>;
}

/** The answer of an operational route. */
export type OpsRoutes = (path: string, rt: GatewayRuntime) => Response | Promise<Response> | null;

/** Creates the lookup that answers an operational path, or gives null for any other path. */
export function createOpsRoutes(opts: OpsRoutesOptions): OpsRoutes {
  const { health, metrics, docs } = opts;
  return (path, rt) => {
    if (path === "/__health") return health();
    if (path === "/metrics" && metrics) return metrics();
    if (path === "/docs" || path.startsWith("/docs/")) return docs(path, rt);
    return null;
  };
}
