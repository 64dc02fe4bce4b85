import { z } from "zod";
import { Lru } from "../cache/lru.ts";
import { durationMs } from "../config/duration.ts";
import { parseNamespace } from "../config/namespace.ts";

const routerSchema = z
  .strictObject({
    max_rate: z.number().min(0).default(0),
    capacity: z.number().int().positive().optional(),
    client_max_rate: z.number().min(0).default(0),
    client_capacity: z.number().int().positive().optional(),
    every: durationMs.default(1000),
    strategy: z.enum(["ip", "header"]).default("ip"),
    key: z.string().min(1).optional(),
    // KrakenD's sharding knobs have no meaning for one LRU map; accepted so configs move over unchanged
    num_shards: z.number().int().positive().optional(),
    cleanup_period: durationMs.optional(),
    cleanup_threads: z.number().int().positive().optional(),
  })
  .superRefine((cfg, ctx) => {
    if (cfg.every <= 0) ctx.addIssue({ code: "custom", path: ["every"], message: "must be positive" });
    if (cfg.client_max_rate > 0 && cfg.strategy === "header" && !cfg.key) {
      ctx.addIssue({ code: "custom", path: ["key"], message: "strategy header needs the header name in key" });
    }
  });

/** The parsed `qos/ratelimit/router` namespace. */
export type RouterRateLimitConfig = z.output<typeof routerSchema>;

/** The answer of `check`: pass with informational headers, or refuse with status and headers. */
export type RateLimitDecision =
  | { ok: true; headers: Record<string, string> }
  | { ok: false; status: 429 | 503; headers: Record<string, string> };

interface Bucket {
  tokens: number;
  at: number;
}

class TokenBucketSpec {
  /** tokens per millisecond */
  readonly rate: number;
  constructor(
    maxRate: number,
    everyMs: number,
    readonly capacity: number,
  ) {
    this.rate = maxRate / everyMs;
  }
  fresh(now: number): Bucket {
    return { tokens: this.capacity, at: now };
  }
  refill(b: Bucket, now: number): void {
    if (now > b.at) {
      b.tokens = Math.min(this.capacity, b.tokens + (now - b.at) * this.rate);
      b.at = now;
    }
  }
  headers(b: Bucket, refused: boolean): Record<string, string> {
    const remaining = Math.max(0, Math.floor(b.tokens));
    const toFullSec = Math.ceil((this.capacity - b.tokens) / this.rate / 1000);
    const h: Record<string, string> = {
      "RateLimit-Limit": String(this.capacity),
      "RateLimit-Remaining": String(remaining),
      "RateLimit-Reset": String(Math.max(0, toFullSec)),
    };
    if (refused) h["Retry-After"] = String(Math.max(1, Math.ceil((1 - b.tokens) / this.rate / 1000)));
    return h;
  }
}

/** The part of a client request the limiter reads (a header, when limits are keyed by one). */
export interface RateLimitedRequest {
  headers: { get(name: string): string | null };
}

/** KrakenD's default capacity: the rate itself, or 1 for fractional rates. */
const defaultCapacity = (rate: number) => Math.max(1, Math.floor(rate));

/**
 * KrakenD's `qos/ratelimit/router` for one endpoint: a token bucket shared by all clients (`max_rate` per
 * `every`, burst `capacity`; refusal is 503) and one per client (`client_max_rate`, `client_capacity`;
 * refusal is 429), the client being the IP or the `key` header (`strategy`; a request without that header
 * is counted by its IP). Per-client buckets live in an LRU of `maxClients` entries, so memory is bounded;
 * an evicted client starts again from a full bucket, as it would after KrakenD's TTL cleanup.
 * Every answer carries `RateLimit-Limit/Remaining/Reset` (of the client bucket when there is one), refusals
 * also `Retry-After` in seconds. Nothing is consumed from either bucket when the request is refused.
 * @example
 * const rl = createRouterRateLimit({ max_rate: 100, client_max_rate: 5, every: "1s" });
 * const d = rl.check(req, ip); if (!d.ok) return new Response(null, { status: d.status, headers: d.headers });
 */
export function createRouterRateLimit(
  raw: unknown,
  deps: { now?: () => number; maxClients?: number } = {},
): {
  check(req: RateLimitedRequest, clientIp: string): RateLimitDecision;
  /** Number of client buckets held. */
  clients(): number;
  config: RouterRateLimitConfig;
} {
  const cfg = parseNamespace("qos/ratelimit/router", routerSchema, raw);
  const now = deps.now ?? (() => performance.now());
  const endpointSpec =
    cfg.max_rate > 0
      ? new TokenBucketSpec(cfg.max_rate, cfg.every, cfg.capacity ?? defaultCapacity(cfg.max_rate))
      : null;
  const clientSpec =
    cfg.client_max_rate > 0
      ? new TokenBucketSpec(cfg.client_max_rate, cfg.every, cfg.client_capacity ?? defaultCapacity(cfg.client_max_rate))
      : null;
  const endpointBucket = endpointSpec?.fresh(now()) ?? null;
  const clientBuckets = new Lru<string, Bucket>(deps.maxClients ?? 100_000);
  const headerKey = cfg.strategy === "header" ? cfg.key! : null;

  const check = (req: RateLimitedRequest, clientIp: string): RateLimitDecision => {
    const t = now();
    if (endpointSpec && endpointBucket) {
      endpointSpec.refill(endpointBucket, t);
      if (endpointBucket.tokens < 1)
        return { ok: false, status: 503, headers: endpointSpec.headers(endpointBucket, true) };
    }
    let client: Bucket | undefined;
    if (clientSpec) {
      const fromHeader = headerKey ? req.headers.get(headerKey) : null;
      const id = fromHeader ? `h:${fromHeader}` : `ip:${clientIp}`;
      client = clientBuckets.get(id);
      if (client) clientSpec.refill(client, t);
      else {
        client = clientSpec.fresh(t);
        clientBuckets.set(id, client);
      }
      if (client.tokens < 1) return { ok: false, status: 429, headers: clientSpec.headers(client, true) };
      client.tokens -= 1;
    }
    if (endpointSpec && endpointBucket) endpointBucket.tokens -= 1;
    if (clientSpec && client) return { ok: true, headers: clientSpec.headers(client, false) };
    if (endpointSpec && endpointBucket) return { ok: true, headers: endpointSpec.headers(endpointBucket, false) };
    return { ok: true, headers: {} };
  };

  return { check, clients: () => clientBuckets.size, config: cfg };
}
