// Checks a schema-valid config for what a schema cannot express: namespaces per scope, placeholders that
// refer to something, duplicate routes, hosts, and encodings that fit together.
import type { z } from "zod";
import { type ConfigProblem, formatPath, issueMessage } from "./config.problem.ts";
import {
  backendHttpNamespace,
  cachePurgeNamespace,
  gatewayBackendNamespace,
  gatewayEndpointNamespace,
  ignoredKeys,
  proxyNamespace,
  routerNamespace,
  type ServiceConfig,
  telemetryMetricsNamespace,
} from "./config.schema.ts";
import { gatewayServerNamespace, SERVER_NAMESPACE } from "./server.limits.ts";

type Scope = "service" | "endpoint" | "backend";

/** Namespaces validated here; the security, traffic and cache ones are validated by their own factories. */
const ownSchemas: Record<string, z.ZodType> = {
  proxy: proxyNamespace,
  "backend/http": backendHttpNamespace,
  router: routerNamespace,
  "gateway/endpoint": gatewayEndpointNamespace,
  "gateway/backend": gatewayBackendNamespace,
  "gateway/cache-purge": cachePurgeNamespace,
  "telemetry/metrics": telemetryMetricsNamespace,
  [SERVER_NAMESPACE]: gatewayServerNamespace,
};

/** Which namespace works at which level. */
export const namespacesByScope: Record<Scope, readonly string[]> = {
  service: ["security/cors", "router", "gateway/backend", "gateway/cache-purge", "telemetry/metrics", SERVER_NAMESPACE],
  endpoint: ["auth/validator", "qos/ratelimit/router", "proxy", "router", "gateway/endpoint"],
  backend: ["backend/http", "qos/circuit-breaker", "qos/http-cache", "proxy", "gateway/backend"],
};

/** Paths the gateway answers itself; endpoints may not take them. */
export const reservedPaths = ["/__health", "/metrics", "/docs", "/docs/*"];

const placeholder = /\{([^{}]+)\}/g;

/** Parameter names of an endpoint path (`/api/orders/{id}` -> `["id"]`). */
export function endpointParams(path: string): string[] {
  return [...path.matchAll(placeholder)].map((m) => m[1]!);
}

function checkNamespaces(
  extra: Record<string, unknown> | undefined,
  scope: Scope,
  at: string,
  problems: ConfigProblem[],
  warnings: string[],
): void {
  if (!extra) return;
  for (const [ns, value] of Object.entries(extra)) {
    const path = `${at}extra_config[${JSON.stringify(ns)}]`;
    if (!namespacesByScope[scope].includes(ns)) {
      const elsewhere = (Object.keys(namespacesByScope) as Scope[]).filter((s) => namespacesByScope[s].includes(ns));
      warnings.push(
        elsewhere.length > 0
          ? `${path}: namespace belongs at ${elsewhere.join("/")} level; ignored here`
          : `${path}: unknown namespace, ignored`,
      );
      continue;
    }
    const schema = ownSchemas[ns];
    if (!schema) continue;
    const parsed = schema.safeParse(value);
    if (!parsed.success) {
      for (const issue of parsed.error.issues) {
        problems.push({ path: formatPath(issue.path, path), message: issueMessage(issue) });
      }
    }
  }
}

function checkIgnoredKeys(obj: object, keys: readonly string[], at: string, warnings: string[]): void {
  for (const key of keys) {
    if (key in obj && key !== "$schema" && key !== "name") warnings.push(`${at}${key}: not implemented, ignored`);
  }
}

/** Normalised route key for duplicate detection: parameter names do not matter. */
function routeKey(method: string, path: string): string {
  return `${method} ${path.replace(placeholder, "{}")}`;
}

/** Semantic problems (errors) and warnings of a schema-valid config. */
export function checkConfig(
  cfg: ServiceConfig,
  _raw: Record<string, unknown>,
): { problems: ConfigProblem[]; warnings: string[] } {
  const problems: ConfigProblem[] = [];
  const warnings: string[] = [];
  checkNamespaces(cfg.extra_config, "service", "", problems, warnings);
  checkIgnoredKeys(cfg, ignoredKeys.service, "", warnings);
  const seen = new Map<string, number>();

  cfg.endpoints.forEach((ep, i) => {
    const at = `endpoints[${i}]`;
    checkNamespaces(ep.extra_config, "endpoint", `${at}.`, problems, warnings);
    checkIgnoredKeys(ep, ignoredKeys.endpoint, `${at}.`, warnings);
    const path = ep.endpoint;
    const segments = path.split("/").slice(1);
    segments.forEach((seg, si) => {
      if (seg === "*" && si !== segments.length - 1) {
        problems.push({ path: `${at}.endpoint`, message: "a wildcard is allowed only as the last segment" });
      } else if (seg.includes("{") && !/^\{[A-Za-z_][\w.-]*\}$/.test(seg)) {
        problems.push({ path: `${at}.endpoint`, message: `parameter segment ${JSON.stringify(seg)} must be {name}` });
      } else if (seg.includes("*") && seg !== "*") {
        problems.push({ path: `${at}.endpoint`, message: "a wildcard must be a whole segment (/*)" });
      }
    });
    const wildcard = segments.at(-1) === "*";
    if (reservedPaths.some((r) => r === path || (r.endsWith("/*") && path.startsWith(r.slice(0, -1))))) {
      problems.push({ path: `${at}.endpoint`, message: `${path} is reserved for the gateway itself` });
    }
    const params = new Set(endpointParams(path));
    const methods = [...new Set([...(ep.methods ?? []), ...(ep.method ? [ep.method] : [])])];
    for (const m of methods.length > 0 ? methods : ["GET"]) {
      const key = routeKey(m, path);
      const first = seen.get(key);
      if (first !== undefined) {
        problems.push({ path: `${at}.endpoint`, message: `${key} is already defined by endpoints[${first}]` });
      } else seen.set(key, i);
    }

    const output = ep.output_encoding ?? cfg.output_encoding ?? "json";
    const proxy = (ep.extra_config?.proxy ?? {}) as { sequential?: boolean };
    const hasAuth = ep.extra_config?.["auth/validator"] !== undefined;
    if (output === "no-op" && ep.backend.length !== 1) {
      problems.push({ path: `${at}.backend`, message: "a no-op endpoint takes exactly one backend" });
    }
    if (wildcard && output !== "no-op") {
      problems.push({ path: `${at}.output_encoding`, message: 'wildcard routes are pass-through: use "no-op"' });
    }

    ep.backend.forEach((be, bi) => {
      const bat = `${at}.backend[${bi}]`;
      checkNamespaces(be.extra_config, "backend", `${bat}.`, problems, warnings);
      checkIgnoredKeys(be, ignoredKeys.backend, `${bat}.`, warnings);
      if (!be.host && !cfg.host) {
        problems.push({ path: `${bat}.host`, message: "no host here and no service-level host to fall back on" });
      }
      const encoding = be.encoding ?? (output === "no-op" ? "no-op" : "json");
      if (output === "no-op" && encoding !== "no-op") {
        problems.push({ path: `${bat}.encoding`, message: 'a no-op endpoint needs a "no-op" backend' });
      }
      if (output !== "no-op" && encoding === "no-op") {
        problems.push({ path: `${bat}.encoding`, message: 'a "no-op" backend needs a no-op endpoint' });
      }
      if (wildcard && be.url_pattern.includes("*") && !be.url_pattern.endsWith("/*")) {
        problems.push({ path: `${bat}.url_pattern`, message: "a wildcard must be the last segment (/*)" });
      }
      for (const m of be.url_pattern.matchAll(placeholder)) {
        const name = m[1]!;
        const resp = /^resp(\d+)_(.+)$/.exec(name);
        if (resp) {
          if (!proxy.sequential) {
            problems.push({ path: `${bat}.url_pattern`, message: `{${name}} needs extra_config.proxy.sequential` });
          } else if (Number(resp[1]) >= bi) {
            problems.push({
              path: `${bat}.url_pattern`,
              message: `{${name}} refers to a backend that has not run yet`,
            });
          }
        } else if (name.startsWith("JWT.")) {
          if (!hasAuth) problems.push({ path: `${bat}.url_pattern`, message: `{${name}} needs auth/validator` });
        } else if (!params.has(name)) {
          problems.push({ path: `${bat}.url_pattern`, message: `{${name}} is not a parameter of ${path}` });
        }
      }
    });
  });
  return { problems, warnings };
}
