import { z } from "zod";
import { durationMs } from "../config/duration.ts";
import { parseNamespace } from "../config/namespace.ts";
import { setHeader } from "../transport/answer.ts";
import type { Answer } from "../transport/transport.ts";

const corsSchema = z.strictObject({
  allow_origins: z.array(z.string().min(1)).default(["*"]),
  allow_methods: z
    .array(z.enum(["GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"]))
    .default(["GET", "HEAD", "POST"]),
  allow_headers: z.array(z.string().min(1)).default([]),
  expose_headers: z.array(z.string().min(1)).default(["Content-Length", "Content-Type"]),
  max_age: durationMs.default(0),
  allow_credentials: z.boolean().default(false),
  allow_private_network: z.boolean().default(false),
  options_passthrough: z.boolean().default(false),
  options_success_status: z.number().int().min(200).max(299).default(204),
  debug: z.boolean().default(false),
});

/** The parsed `security/cors` namespace. */
export type CorsConfig = z.output<typeof corsSchema>;

type OriginMatcher = (origin: string) => boolean;

function originMatcher(patterns: string[]): OriginMatcher | "all" {
  if (patterns.includes("*")) return "all";
  const exact = new Set<string>();
  const wild: Array<[string, string]> = [];
  for (const p of patterns.map((o) => o.toLowerCase())) {
    const star = p.indexOf("*");
    if (star < 0) exact.add(p);
    else wild.push([p.slice(0, star), p.slice(star + 1)]);
  }
  return (origin) => {
    const o = origin.toLowerCase();
    if (exact.has(o)) return true;
    return wild.some(([pre, post]) => o.length >= pre.length + post.length && o.startsWith(pre) && o.endsWith(post));
  };
}

/** The part of a client request CORS reads. */
export interface CorsRequest {
  method: string;
  headers: { get(name: string): string | null };
}

/** Adds headers to an answer; `Vary` is appended to, the others replace what is there. */
function withHeaders(res: Answer, headers: Array<[string, string]>): Answer {
  for (const [k, v] of headers) k === "Vary" ? res.headers.push(k, v) : setHeader(res, k, v);
  return res;
}

/**
 * KrakenD's `security/cors` (rs/cors semantics) with its defaults: every origin, GET/HEAD/POST, no extra
 * request headers beyond `Origin`, `Content-Length`/`Content-Type` exposed, no max age, no credentials.
 * `preflight` answers an OPTIONS preflight (null for anything else); `apply` decorates any answer,
 * including the gateway's own 401/403 ones (which KrakenD CE leaves bare, so browsers hide the status).
 * @example
 * const cors = createCors({ allow_origins: ["https://shop.example"], allow_credentials: true });
 * const pre = cors.preflight(req); if (pre) return pre; return cors.apply(req, await handle(req));
 */
export function createCors(raw: unknown): {
  preflight(req: CorsRequest): Answer | null;
  apply(req: CorsRequest, res: Answer): Answer;
  config: CorsConfig;
} {
  const cfg = parseNamespace("security/cors", corsSchema, raw);
  const origins = originMatcher(cfg.allow_origins);
  const methods = new Set<string>(cfg.allow_methods);
  const allowAllHeaders = cfg.allow_headers.includes("*");
  const headers = new Set(["origin", ...cfg.allow_headers.map((h) => h.toLowerCase())]);
  const exposed = cfg.expose_headers.join(", ");
  const maxAge = Math.floor(cfg.max_age / 1000);
  // with credentials the origin must be echoed: browsers refuse `*` together with credentials
  const wildcard = origins === "all" && !cfg.allow_credentials;
  const originAllowed = (origin: string) => origins === "all" || origins(origin);

  const preflight = (req: CorsRequest): Answer | null => {
    if (req.method !== "OPTIONS" || cfg.options_passthrough) return null;
    const origin = req.headers.get("origin");
    const method = req.headers.get("access-control-request-method");
    if (!origin || !method) return null;
    const out: Array<[string, string]> = [
      ["Vary", "Origin, Access-Control-Request-Method, Access-Control-Request-Headers"],
    ];
    const requested = (req.headers.get("access-control-request-headers") ?? "")
      .split(",")
      .map((h) => h.trim())
      .filter(Boolean);
    const ok =
      originAllowed(origin) &&
      methods.has(method.toUpperCase()) &&
      (allowAllHeaders || requested.every((h) => headers.has(h.toLowerCase())));
    if (ok) {
      out.push(["Access-Control-Allow-Origin", wildcard ? "*" : origin]);
      out.push(["Access-Control-Allow-Methods", method.toUpperCase()]);
      if (requested.length) out.push(["Access-Control-Allow-Headers", requested.join(", ")]);
      if (cfg.allow_credentials) out.push(["Access-Control-Allow-Credentials", "true"]);
      if (cfg.allow_private_network && req.headers.get("access-control-request-private-network") === "true") {
        out.push(["Access-Control-Allow-Private-Network", "true"]);
      }
      if (maxAge > 0) out.push(["Access-Control-Max-Age", String(maxAge)]);
    }
    return withHeaders({ status: cfg.options_success_status, headers: [], body: null }, out);
  };

  const apply = (req: CorsRequest, res: Answer): Answer => {
    const origin = req.headers.get("origin");
    const out: Array<[string, string]> = wildcard ? [] : [["Vary", "Origin"]];
    if (origin && originAllowed(origin) && methods.has(req.method)) {
      out.push(["Access-Control-Allow-Origin", wildcard ? "*" : origin]);
      if (cfg.allow_credentials) out.push(["Access-Control-Allow-Credentials", "true"]);
      if (exposed) out.push(["Access-Control-Expose-Headers", exposed]);
    }
    return out.length ? withHeaders(res, out) : res;
  };

  return { preflight, apply, config: cfg };
}
