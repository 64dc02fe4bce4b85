// A deliberately minimal Bun.serve + fetch proxy wired with the gateway's security and cache modules. It is
// NOT the gateway: it is the floor a Bun gateway can reach, so the benchmark can show what the modules
// cost on their own and how far the full pipeline is from that floor.
// Usage: bun bench/gateway/reference.ts PORT BACKEND_URL JWK_PATH
import { createHttpCache } from "../../services/gateway/src/cache/http-cache.ts";
import { claimToHeaders } from "../../services/gateway/src/security/claims.ts";
import { createJwtValidator } from "../../services/gateway/src/security/jwt.ts";
import { rawPool } from "./raw-client.ts";

const [portArg, backendArg, jwkPath] = process.argv.slice(2);
if (!backendArg || !jwkPath) throw new Error("usage: reference.ts PORT BACKEND_URL JWK_PATH");
const backend: string = backendArg;

const jwtCfg = { alg: "HS256", jwk_local_path: jwkPath, propagate_claims: [["sub", "X-User-Id"]] };
const jwt = createJwtValidator(jwtCfg);
const cache = createHttpCache({ max_items: 1000 });
const passHeaders = (res: Response) => ({ "content-type": res.headers.get("content-type") ?? "application/json" });

// Bun's fetch parks at most 64 idle sockets per process: more requests in flight to one origin than that
// means reconnects. REF_UPSTREAM_LIMIT caps concurrent upstream requests so the pool is never exceeded.
const upstreamLimit = Number(process.env.REF_UPSTREAM_LIMIT ?? 0);
let active = 0;
const waiting: Array<() => void> = [];
const backendUrl = new URL(backend);
const raw =
  process.env.REF_RAW_CLIENT === "1"
    ? rawPool(backendUrl.hostname, Number(backendUrl.port), Number(process.env.REF_UPSTREAM_LIMIT) || 64)
    : null;

async function upstreamJson(url: string): Promise<object> {
  if (raw) {
    const r = await raw.get(url.slice(backend.length));
    return JSON.parse(new TextDecoder().decode(r.body)) as object;
  }
  if (upstreamLimit > 0) {
    if (active >= upstreamLimit) await new Promise<void>((r) => waiting.push(r));
    active++;
  }
  try {
    return (await (await fetch(url)).json()) as object;
  } finally {
    if (upstreamLimit > 0) {
      active--;
      waiting.shift()?.();
    }
  }
}

async function proxy(path: string, headers?: Record<string, string>): Promise<Response> {
  if (raw) {
    const extra = headers
      ? Object.entries(headers)
          .map(([k, v]) => `${k}: ${v}\r\n`)
          .join("")
      : "";
    const r = await raw.get(path, extra);
    return new Response(r.body, { status: r.status, headers: r.headers });
  }
  const res = await fetch(backend + path, headers ? { headers } : undefined);
  return new Response(res.body, { status: res.status, headers: passHeaders(res) });
}

const server = Bun.serve({
  port: Number(portArg ?? 0),
  hostname: "127.0.0.1",
  async fetch(req) {
    const path = req.url.slice(req.url.indexOf("/", 8));
    switch (path) {
      case "/plain":
        return proxy("/json");
      case "/jwt": {
        const r = await jwt.validate(req);
        if (!r.ok) return new Response(null, { status: r.status });
        return proxy("/json", claimToHeaders(jwtCfg, r.claims));
      }
      case "/merge": {
        const [a, b] = await Promise.all([upstreamJson(`${backend}/profile`), upstreamJson(`${backend}/orders`)]);
        return Response.json({ ...a, ...b });
      }
      case "/cached": {
        const url = `${backend}/cached`;
        const found = cache.lookup(url, req);
        if (found.kind === "hit") return new Response(found.response.body, { headers: found.response.headers });
        const res = await fetch(url, found.kind === "stale" ? { headers: found.revalidate } : undefined);
        const stored = cache.store(url, req, { status: res.status, headers: res.headers, body: await res.bytes() });
        return stored ? new Response(stored.body, { headers: stored.headers }) : new Response(null, { status: 502 });
      }
      case "/__health":
        return new Response("ok");
      default:
        return new Response(null, { status: 404 });
    }
  },
});
console.log(`ready ${server.port}`);
