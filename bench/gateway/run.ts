// Side-by-side proxy benchmark: servers pinned to CPU 0, wrk pinned to CPU 1, one run.
//   bun bench/gateway/run.ts [--duration 6] [--connections 64] [--rounds 3] [--only gateway-plain,gateway-jwt]
//   REF_UPSTREAM_LIMIT=60 caps the reference proxy's concurrent upstream fetches (see reference.ts);
//   REF_RAW_CLIENT=1 makes it use the Bun.connect keep-alive client of raw-client.ts instead of fetch
//   --access-log off runs the gateway and nginx without their access logs (default on for both, as in
//   production: one JSON line per request with a request id, buffered, to /dev/null);
//   --fetch-gateway adds a second gateway process using fetch for backends (GATEWAY_UPSTREAM_CLIENT=fetch),
//   measured side by side as gateway-fetch-*;
//   --bun-gateway adds one serving clients with Bun.serve instead of its own HTTP/1.1 server
//   (GATEWAY_SERVER=bun), as gateway-bunserve-*
// Cases: the backend alone, nginx (keep-alive upstream), the gateway (services/gateway/src/main.ts) as a
// plain proxy, with JWT validation, merging two backends and on a cache hit, plus a minimal Bun reference
// proxy built from the same security/cache modules. Each case reports req/s, p50/p99 (wrk --latency), CPU
// microseconds per request of the server under test and of the backend (from /proc/<pid>/stat), and how
// many upstream TCP connections the backend saw during the measured run (keep-alive means "few, once").
// Needs: wrk, nginx (Debian nginx-light), taskset, two CPUs.

import { createHmac } from "node:crypto";
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { freePort } from "@shared/testing/binary.ts";
import { type Subprocess, spawn, spawnSync } from "bun";
import { benchEndpoints } from "./endpoints.ts";

const args = process.argv.slice(2);
const opt = (name: string, fallback: string) => {
  const i = args.indexOf(`--${name}`);
  return i >= 0 && args[i + 1] ? args[i + 1]! : fallback;
};
const DURATION = Number(opt("duration", "6"));
const CONNECTIONS = Number(opt("connections", "64"));
const ROUNDS = Number(opt("rounds", "1"));
const WARMUP = 1;
const ONLY = opt("only", "").split(",").filter(Boolean);
const ACCESS_LOG = opt("access-log", "on") !== "off";
const FETCH_GATEWAY = args.includes("--fetch-gateway");
const BUN_GATEWAY = args.includes("--bun-gateway");
const ROOT = resolve(import.meta.dir, "../..");
const GATEWAY_MAIN = join(ROOT, "services/gateway/src/main.ts");
const CLK_TCK = Number(spawnSync(["getconf", "CLK_TCK"]).stdout.toString().trim()) || 100;

for (const tool of ["wrk", "nginx", "taskset"]) {
  if (spawnSync(["sh", "-c", `command -v ${tool}`]).exitCode !== 0) {
    console.error(`missing ${tool}: apt-get install -y wrk nginx-light util-linux`);
    process.exit(2);
  }
}

const tmp = mkdtempSync(join(tmpdir(), "gw-bench-"));
const children: Subprocess[] = [];
const cleanup = () => {
  for (const p of children) if (p.exitCode === null) p.kill("SIGTERM");
  rmSync(tmp, { recursive: true, force: true });
};
process.on("SIGINT", () => {
  cleanup();
  process.exit(130);
});

async function waitFor(url: string, ms = 15_000): Promise<boolean> {
  const end = Date.now() + ms;
  while (Date.now() < end) {
    try {
      const res = await fetch(url);
      await res.arrayBuffer();
      if (res.status < 500) return true;
    } catch {}
    await Bun.sleep(100);
  }
  return false;
}

function start(name: string, cmd: string[], env: Record<string, string> = {}): Subprocess {
  const proc = spawn(["taskset", "-c", "0", ...cmd], {
    cwd: ROOT,
    env: { ...process.env, ...env },
    stdout: "ignore",
    stderr: Bun.file(join(tmp, `${name}.stderr`)),
  });
  children.push(proc);
  return proc;
}

/** The pid and all its descendants (nginx workers). */
function processTree(pid: number): number[] {
  const out = [pid];
  try {
    for (const task of readdirSync(`/proc/${pid}/task`)) {
      const kids = readFileSync(`/proc/${pid}/task/${task}/children`, "utf8").trim();
      for (const k of kids ? kids.split(" ") : []) out.push(...processTree(Number(k)));
    }
  } catch {}
  return out;
}

/** utime + stime of a process tree, in clock ticks; `user` alone beside it (the rest is the kernel's). */
function cpuTicks(pid: number): { total: number; user: number } {
  let total = 0;
  let user = 0;
  for (const p of processTree(pid)) {
    try {
      const stat = readFileSync(`/proc/${p}/stat`, "utf8");
      const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
      user += Number(fields[11]);
      total += Number(fields[11]) + Number(fields[12]);
    } catch {}
  }
  return { total, user };
}

interface WrkResult {
  requests: number;
  rps: number;
  p50: number;
  p99: number;
  errors: number;
}

const toMs = (v: string) => {
  const m = /([\d.]+)(us|ms|s)/.exec(v);
  if (!m) return Number.NaN;
  const n = Number(m[1]);
  return m[2] === "us" ? n / 1000 : m[2] === "s" ? n * 1000 : n;
};

function wrk(url: string, seconds: number, headers: Record<string, string>): WrkResult {
  const h = Object.entries(headers).flatMap(([k, v]) => ["-H", `${k}: ${v}`]);
  const out = spawnSync(
    ["taskset", "-c", "1", "wrk", "-t1", `-c${CONNECTIONS}`, `-d${seconds}s`, "--latency", ...h, url],
    { stdout: "pipe", stderr: "pipe" },
  ).stdout.toString();
  const num = (re: RegExp) => Number(re.exec(out)?.[1] ?? Number.NaN);
  return {
    requests: num(/(\d+) requests in/),
    rps: num(/Requests\/sec:\s+([\d.]+)/),
    p50: toMs(/\s50%\s+(\S+)/.exec(out)?.[1] ?? ""),
    p99: toMs(/\s99%\s+(\S+)/.exec(out)?.[1] ?? ""),
    errors: (num(/Non-2xx or 3xx responses: (\d+)/) || 0) + (num(/Socket errors: connect (\d+)/) || 0),
  };
}

// ---- the servers ------------------------------------------------------------------------------

const backendPort = await freePort();
const backend = start("backend", ["bun", "bench/gateway/backend.ts", String(backendPort)]);
const backendUrl = `http://127.0.0.1:${backendPort}`;
if (!(await waitFor(`${backendUrl}/__conns`))) throw new Error("backend did not start");

const nginxPort = await freePort();
// With the access log on, nginx logs each request too, as the gateway does: one JSON line with a request id,
// buffered (64 KiB or 200 ms, as the gateway's line buffer) and written to /dev/null (as the gateway's lines are)
const nginxAccessLog = ACCESS_LOG
  ? `log_format gw escape=json '{"time":"$time_iso8601","requestId":"$request_id","method":"$request_method","path":"$uri","status":$status,"durationMs":$request_time,"clientIp":"$remote_addr","msg":"request"}';
  access_log /dev/null gw buffer=64k flush=200ms;`
  : "access_log off;";
mkdirSync(join(tmp, "nginx"), { recursive: true });
writeFileSync(
  join(tmp, "nginx/nginx.conf"),
  `worker_processes 1;
daemon off;
pid ${tmp}/nginx/nginx.pid;
error_log ${tmp}/nginx/error.log warn;
events { worker_connections 4096; }
http {
  ${nginxAccessLog}
  client_body_temp_path ${tmp}/nginx/body;
  proxy_temp_path ${tmp}/nginx/proxy;
  fastcgi_temp_path ${tmp}/nginx/fastcgi;
  uwsgi_temp_path ${tmp}/nginx/uwsgi;
  scgi_temp_path ${tmp}/nginx/scgi;
  upstream backend {
    server 127.0.0.1:${backendPort};
    keepalive 128;
    keepalive_requests 1000000;
    keepalive_timeout 60s;
  }
  server {
    listen 127.0.0.1:${nginxPort};
    location / {
      proxy_pass http://backend;
      proxy_http_version 1.1;
      proxy_set_header Connection "";
    }
  }
}
`,
);
const nginx = start("nginx", ["nginx", "-p", join(tmp, "nginx"), "-c", join(tmp, "nginx/nginx.conf")]);
const nginxUrl = `http://127.0.0.1:${nginxPort}`;
if (!(await waitFor(`${nginxUrl}/json`)))
  throw new Error(`nginx did not start: ${readFileSync(join(tmp, "nginx.stderr"))}`);

// HS256 key and token shared by the gateway and the reference proxy
const secret = "bench-secret-bench-secret-bench-secret";
const jwkPath = join(tmp, "jwk.json");
writeFileSync(
  jwkPath,
  JSON.stringify({ keys: [{ kty: "oct", kid: "bench", alg: "HS256", k: Buffer.from(secret).toString("base64url") }] }),
);
const b64 = (v: unknown) => Buffer.from(JSON.stringify(v)).toString("base64url");
const signingInput = `${b64({ alg: "HS256", typ: "JWT", kid: "bench" })}.${b64({
  sub: "u-1",
  roles: ["user"],
  iss: "bench",
  exp: Math.floor(Date.now() / 1000) + 3600,
})}`;
const token = `${signingInput}.${createHmac("sha256", secret).update(signingInput).digest("base64url")}`;
const auth = { Authorization: `Bearer ${token}` };
const validator = {
  alg: "HS256",
  jwk_local_path: jwkPath,
  issuer: "bench",
  roles_key: "roles",
  roles: ["user"],
  propagate_claims: [["sub", "X-User-Id"]],
};

const referencePort = await freePort();
const reference = start(
  "reference",
  ["bun", "bench/gateway/reference.ts", String(referencePort), backendUrl, jwkPath],
  {
    REF_UPSTREAM_LIMIT: process.env.REF_UPSTREAM_LIMIT ?? "0",
    REF_RAW_CLIENT: process.env.REF_RAW_CLIENT ?? "0",
  },
);
const referenceUrl = `http://127.0.0.1:${referencePort}`;
const referenceUp = await waitFor(`${referenceUrl}/__health`);

const listenRefPort = await freePort();
const listenRef = start("reference-listen", [
  "bun",
  "bench/gateway/reference-listen.ts",
  String(listenRefPort),
  String(backendPort),
]);
const listenRefUrl = `http://127.0.0.1:${listenRefPort}`;
const listenRefUp = await waitFor(`${listenRefUrl}/__health`);

let gateway: Subprocess | null = null;
let gatewayUrl = "";
let gatewayNote = "";
let fetchGateway: Subprocess | null = null;
let fetchGatewayUrl = "";
let bunGateway: Subprocess | null = null;
let bunGatewayUrl = "";
if (existsSync(GATEWAY_MAIN)) {
  const gatewayPort = await freePort();
  const host = [backendUrl];
  const config = {
    version: 3,
    port: gatewayPort,
    timeout: "3s",
    endpoints: benchEndpoints(host, validator),
  };
  const launch = async (name: string, port: number, env: Record<string, string>) => {
    // a directory of its own: the gateway watches its config's directory, and tmp holds the stderr files
    mkdirSync(join(tmp, "config"), { recursive: true });
    const configPath = join(tmp, "config", `${name}.json`);
    writeFileSync(configPath, JSON.stringify({ ...config, port }, null, 2));
    const proc = start(name, ["bun", GATEWAY_MAIN, "serve", "-c", configPath], {
      LOG_LEVEL: ACCESS_LOG ? "info" : "warn",
      NODE_ENV: "production",
      ...env,
    });
    const url = `http://127.0.0.1:${port}`;
    if (!(await waitFor(`${url}/__health`))) {
      gatewayNote += `${name} did not become healthy: ${readFileSync(join(tmp, `${name}.stderr`), "utf8").slice(0, 600)} `;
      return null;
    }
    return { proc, url };
  };
  const main = await launch("gateway", gatewayPort, {});
  if (main) {
    gateway = main.proc;
    gatewayUrl = main.url;
  }
  if (BUN_GATEWAY) {
    const viaBun = await launch("gateway-bun", await freePort(), { GATEWAY_SERVER: "bun" });
    if (viaBun) {
      bunGateway = viaBun.proc;
      bunGatewayUrl = viaBun.url;
    }
  }
  if (FETCH_GATEWAY) {
    const viaFetch = await launch("gateway-fetch", await freePort(), { GATEWAY_UPSTREAM_CLIENT: "fetch" });
    if (viaFetch) {
      fetchGateway = viaFetch.proc;
      fetchGatewayUrl = viaFetch.url;
    }
  }
} else {
  gatewayNote = `no ${GATEWAY_MAIN} yet`;
}

// ---- the cases --------------------------------------------------------------------------------

interface Case {
  name: string;
  url: string;
  server: Subprocess;
  headers?: Record<string, string>;
  ratioTarget?: number;
}
const cases: Case[] = [
  { name: "backend", url: `${backendUrl}/json`, server: backend },
  { name: "nginx", url: `${nginxUrl}/json`, server: nginx },
];
if (gateway) {
  cases.push(
    { name: "gateway-plain", url: `${gatewayUrl}/plain`, server: gateway, ratioTarget: 0.75 },
    { name: "gateway-jwt", url: `${gatewayUrl}/jwt`, server: gateway, headers: auth, ratioTarget: 0.7 },
    { name: "gateway-merge", url: `${gatewayUrl}/merge`, server: gateway, ratioTarget: 0.45 },
    { name: "gateway-cache-hit", url: `${gatewayUrl}/cached`, server: gateway, ratioTarget: 2.9 },
  );
}
if (fetchGateway) {
  cases.push(
    { name: "gateway-fetch-plain", url: `${fetchGatewayUrl}/plain`, server: fetchGateway },
    { name: "gateway-fetch-merge", url: `${fetchGatewayUrl}/merge`, server: fetchGateway },
  );
}
if (bunGateway) {
  cases.push(
    { name: "gateway-bunserve-plain", url: `${bunGatewayUrl}/plain`, server: bunGateway },
    { name: "gateway-bunserve-cache-hit", url: `${bunGatewayUrl}/cached`, server: bunGateway },
  );
}
if (listenRefUp) {
  cases.push(
    { name: "ref-listen-plain", url: `${listenRefUrl}/plain`, server: listenRef },
    { name: "ref-listen-merge", url: `${listenRefUrl}/merge`, server: listenRef },
  );
}
if (referenceUp) {
  cases.push(
    { name: "ref-bun-plain", url: `${referenceUrl}/plain`, server: reference },
    { name: "ref-bun-jwt", url: `${referenceUrl}/jwt`, server: reference, headers: auth },
    { name: "ref-bun-merge", url: `${referenceUrl}/merge`, server: reference },
    { name: "ref-bun-cache-hit", url: `${referenceUrl}/cached`, server: reference },
  );
}

interface Row extends WrkResult {
  name: string;
  status: number;
  serverUs: number;
  /** Of serverUs, the part spent in user space (JS and runtime); the rest is system calls. */
  serverUserUs: number;
  backendUs: number;
  upstreamConns: number;
  ratioTarget?: number;
}
const samples = new Map<string, Row[]>();
/** Per case, its req/s over the mean of the nginx runs just before and just after it (see below). */
const ratios = new Map<string, number[]>();
const selected = ONLY.length ? cases.filter((x) => ONLY.includes(x.name)) : cases;
const nginxCase = cases.find((x) => x.server === nginx)!;
const warmed = new Set<string>();

async function measure(c: Case): Promise<Row> {
  const probe = await fetch(c.url, { headers: c.headers });
  await probe.arrayBuffer();
  // the first run of a case warms the JIT and the upstream pools; later rounds start measuring at once
  if (!warmed.has(c.name)) wrk(c.url, WARMUP, c.headers ?? {});
  warmed.add(c.name);
  await (await fetch(`${backendUrl}/__reset`)).arrayBuffer();
  const s0 = cpuTicks(c.server.pid);
  const b0 = cpuTicks(backend.pid);
  const r = wrk(c.url, DURATION, c.headers ?? {});
  const s1 = cpuTicks(c.server.pid);
  const b1 = cpuTicks(backend.pid);
  const conns = ((await (await fetch(`${backendUrl}/__conns`)).json()) as { connections: number }).connections;
  const us = (ticks: number) => (ticks * 1e6) / CLK_TCK / r.requests;
  const row: Row = {
    name: c.name,
    status: probe.status,
    ...r,
    serverUs: us(s1.total - s0.total),
    serverUserUs: us(s1.user - s0.user),
    backendUs: c.server === backend ? Number.NaN : us(b1.total - b0.total),
    upstreamConns: conns,
    ratioTarget: c.ratioTarget,
  };
  samples.set(c.name, [...(samples.get(c.name) ?? []), row]);
  return row;
}

// This machine's speed swings by a third within seconds (neighbours on the host), so every case runs
// between two nginx runs, nginx A nginx B nginx ..., and is compared with their mean: a swing has to hit
// one short run to move a ratio. Rounds repeat the whole sequence; the report takes medians over them.
for (let round = 0; round < ROUNDS; round++) {
  let before = await measure(nginxCase);
  for (const c of selected) {
    if (c === nginxCase) continue;
    const row = await measure(c);
    const after = await measure(nginxCase);
    ratios.set(c.name, [...(ratios.get(c.name) ?? []), row.rps / ((before.rps + after.rps) / 2)]);
    console.error(
      `round ${round + 1}/${ROUNDS} ${c.name}: ${Math.round(row.rps)} req/s, nginx around it ${Math.round(before.rps)} / ${Math.round(after.rps)}`,
    );
    before = after;
  }
}
ratios.set(nginxCase.name, [1]);
for (const list of ratios.values()) list.sort((a, b) => a - b);
/** The median run by req/s stands for the case. */
const rows: Row[] = [...samples.values()].map((list) => [...list].sort((a, b) => a.rps - b.rps)[list.length >> 1]!);

// ---- report -----------------------------------------------------------------------------------

const fmt = (n: number, d = 0) => (Number.isFinite(n) ? n.toFixed(d) : "-");
const ratioOf = (name: string) => {
  const list = ratios.get(name) ?? [];
  return list.length ? list[list.length >> 1]! : Number.NaN;
};
const rangeOf = (name: string) => {
  const list = ratios.get(name) ?? [];
  return list.length > 1 ? `${fmt(list[0]!, 2)}-${fmt(list[list.length - 1]!, 2)}` : "";
};
const header = [
  "case",
  "status",
  "req/s",
  "p50 ms",
  "p99 ms",
  "server CPU µs/req",
  "of it user",
  "backend CPU µs/req",
  "upstream conns",
  "non-2xx",
  "x nginx",
  "rounds",
  "target",
];
const table = rows.map((r) => [
  r.name,
  String(r.status),
  fmt(r.rps),
  fmt(r.p50, 2),
  fmt(r.p99, 2),
  fmt(r.serverUs, 1),
  fmt(r.serverUserUs, 1),
  fmt(r.backendUs, 1),
  String(r.upstreamConns),
  String(r.errors),
  fmt(ratioOf(r.name), 2),
  rangeOf(r.name),
  r.ratioTarget === undefined ? "" : `${ratioOf(r.name) >= r.ratioTarget ? "ok" : "MISS"} (>= ${r.ratioTarget})`,
]);
const widths = header.map((h, i) => Math.max(h.length, ...table.map((row) => row[i]!.length)));
const line = (cells: string[]) => `| ${cells.map((c, i) => c.padEnd(widths[i]!)).join(" | ")} |`;
console.log(
  `\n${DURATION}s per run, ${CONNECTIONS} connections, ${ROUNDS} round(s); each case runs between two nginx runs and "x nginx" is the median over rounds of its req/s against their mean (the range beside it); other columns: the median run; servers on CPU 0, wrk on CPU 1, access logs of nginx and the gateway ${ACCESS_LOG ? "on" : "off"}\n`,
);
console.log(line(header));
console.log(line(widths.map((w) => "-".repeat(w))));
for (const row of table) console.log(line(row));
console.log(
  `\nupstream conns = distinct TCP connections the backend saw during the measured run (backend row: wrk's own).`,
);
if (gatewayNote) console.log(`gateway: ${gatewayNote}`);

cleanup();
process.exit(0);
