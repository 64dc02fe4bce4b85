// One endpoint, three transports: users.get served by the same users process over HTTP (GET /users/{id},
// driven by wrk), over NATS request-reply (subject users.get) and over gRPC (users.v1 Get, h2c, one
// channel), the last two driven by a Bun client keeping the same number of requests in flight, side by
// side in one run. The users service is pinned to CPU 0, the
// load generators to CPU 1; a private nats-server and PostgreSQL float. Loopback only, bounded.
// Usage: bun bench/endpoint/run.ts [seconds=5] [concurrency=32]
import { resolve } from "node:path";
import { Client, credentials, Metadata } from "@grpc/grpc-js";
import { connect, headers } from "@nats-io/transport-node";
import { usersGet } from "@shared/contracts/users.ts";
import { grpcServiceSchemaOf } from "@shared/grpc";
import { freePort } from "@shared/testing/binary.ts";
import postgres from "postgres";
import usersProto from "../../proto/shop/users/v1/users.proto" with { type: "text" };
import { startPrivateNats } from "../../shared/testing/nats-server.ts";
import { createBenchDatabase } from "../lib/database.ts";
import { cpuSeconds, runWrk, waitFor } from "../lib/wrk.ts";

const root = resolve(import.meta.dir, "..", "..");
const seconds = Number(process.argv[2] ?? 5);
const concurrency = Number(process.argv[3] ?? 32);
const adminId = "0190d9a4-6b1e-7c3a-9f51-000000000001";
const watchdog = setTimeout(
  () => {
    console.error("bench/endpoint: time limit reached");
    process.exit(2);
  },
  (seconds * 6 + 60) * 1000,
);

const database = await createBenchDatabase("bench_endpoint");
const dbUrl = database.url;
const nats = await startPrivateNats();
const port = await freePort();
const grpcPort = await freePort();
const users = Bun.spawn(["taskset", "-c", "0", "bun", "services/users/src/main.ts", "serve"], {
  cwd: root,
  env: {
    ...process.env,
    PORT: String(port),
    GRPC_PORT: String(grpcPort),
    DATABASE_URL: dbUrl,
    NATS_URL: nats.url,
    LOG_LEVEL: "info",
  },
  stdout: "ignore",
  stderr: "inherit",
});

function percentile(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? Number.NaN;
}

/** Keeps `concurrency` calls in flight for `durationS`; `call` resolves true for an answer that is an error. */
async function closedLoop(durationS: number, call: (n: number) => Promise<boolean>) {
  const cpuBefore = process.cpuUsage();
  const latencies: number[] = [];
  let errors = 0;
  const deadline = performance.now() + durationS * 1000;
  let n = 0;
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (performance.now() < deadline) {
        const t = performance.now();
        try {
          if (await call(n++)) errors++;
        } catch {
          errors++;
        }
        latencies.push(performance.now() - t);
      }
    }),
  );
  const cpu = process.cpuUsage(cpuBefore);
  latencies.sort((a, b) => a - b);
  return {
    clientCpuUs: (cpu.user + cpu.system) / latencies.length,
    requests: latencies.length,
    rps: latencies.length / durationS,
    p50: percentile(latencies, 50),
    p99: percentile(latencies, 99),
    errors,
  };
}

async function natsLoad(ids: string[], durationS: number) {
  const nc = await connect({ servers: nats.url });
  const h = headers();
  h.set("x-user-id", adminId);
  h.set("x-user-roles", "admin");
  const result = await closedLoop(durationS, async (n) => {
    const id = ids[n % ids.length]!;
    const msg = await nc.request("users.get", JSON.stringify({ id }), { timeout: 2000, headers: h });
    return Boolean(msg.headers?.get("Nats-Service-Error-Code"));
  });
  await nc.close();
  return result;
}

async function grpcLoad(ids: string[], durationS: number) {
  const method = grpcServiceSchemaOf("users", [usersGet], usersProto).methods[0]!;
  const requests = ids.map((id) => Buffer.from(method.encodeRequest({ id })));
  const client = new Client(`127.0.0.1:${grpcPort}`, credentials.createInsecure());
  const metadata = new Metadata();
  metadata.set("x-user-id", adminId);
  metadata.set("x-user-roles", "admin");
  const pass = (b: Buffer) => b;
  const result = await closedLoop(
    durationS,
    (n) =>
      new Promise<boolean>((resolve) => {
        const options = { deadline: Date.now() + 2000 };
        client.makeUnaryRequest(method.path, pass, pass, requests[n % requests.length]!, metadata, options, (err) =>
          resolve(err !== null),
        );
      }),
  );
  client.close();
  return result;
}

try {
  await waitFor(`http://127.0.0.1:${port}/readyz`, 30_000);
  const db = postgres(dbUrl, { max: 1 });
  const ids = Array.from({ length: 1000 }, () => Bun.randomUUIDv7());
  await db`insert into users.profiles ${db(ids.map((id, i) => ({ id, email: `u${i}@example.com`, display_name: `User ${i}` })))}`;
  await db.end();
  const script = `${root}/dist/bench-endpoint-ids.lua`;
  await Bun.write(
    script,
    `local ids = {${ids.map((id) => `"${id}"`).join(",")}}\nlocal n = 0\nrequest = function()\n  n = n + 1\n  return wrk.format("GET", "/users/" .. ids[(n % #ids) + 1], { ["x-user-id"] = "${adminId}", ["x-user-roles"] = "admin" })\nend\n`,
  );
  const rows: {
    name: string;
    rps: number;
    p50: number;
    p99: number;
    cpuUs: number;
    clientCpuUs?: number;
    errors: number;
  }[] = [];
  // The load generators run in this process; pin it away from the service.
  Bun.spawnSync(["taskset", "-pc", "1", String(process.pid)]);
  await runWrk({ url: `http://127.0.0.1:${port}`, seconds: 1, connections: concurrency, cpu: 1, script });
  await natsLoad(ids, 1);
  await grpcLoad(ids, 1);
  for (let round = 0; round < 2; round++) {
    let before = cpuSeconds(users.pid);
    const http = await runWrk({ url: `http://127.0.0.1:${port}`, seconds, connections: concurrency, cpu: 1, script });
    rows.push({
      name: "HTTP GET /users/{id}",
      rps: http.rps,
      p50: http.p50ms,
      p99: http.p99ms,
      cpuUs: ((cpuSeconds(users.pid) - before) * 1e6) / http.requests,
      errors: http.errors + http.non2xx,
    });
    before = cpuSeconds(users.pid);
    const viaNats = await natsLoad(ids, seconds);
    rows.push({
      name: "NATS users.get",
      rps: viaNats.rps,
      p50: viaNats.p50,
      p99: viaNats.p99,
      cpuUs: ((cpuSeconds(users.pid) - before) * 1e6) / viaNats.requests,
      clientCpuUs: viaNats.clientCpuUs,
      errors: viaNats.errors,
    });
    before = cpuSeconds(users.pid);
    const viaGrpc = await grpcLoad(ids, seconds);
    rows.push({
      name: "gRPC users.v1 Get",
      rps: viaGrpc.rps,
      p50: viaGrpc.p50,
      p99: viaGrpc.p99,
      cpuUs: ((cpuSeconds(users.pid) - before) * 1e6) / viaGrpc.requests,
      clientCpuUs: viaGrpc.clientCpuUs,
      errors: viaGrpc.errors,
    });
  }
  console.log(`users.get, ${concurrency} in flight, ${seconds}s per run, 2 rounds (service on CPU 0, load on CPU 1)`);
  // the Bun load generator's own CPU per call: when it nears its core's capacity, req/s measures the client
  console.log("transport               req/s   p50 ms   p99 ms   service CPU us/req  client CPU us/req  errors");
  for (const r of rows) {
    console.log(
      `${r.name.padEnd(22)} ${r.rps.toFixed(0).padStart(6)} ${r.p50.toFixed(2).padStart(8)} ${r.p99.toFixed(2).padStart(8)} ${r.cpuUs.toFixed(1).padStart(20)} ${(r.clientCpuUs?.toFixed(1) ?? "wrk").padStart(18)}  ${r.errors}`,
    );
  }
  const best = (prefix: string) => Math.max(...rows.filter((r) => r.name.startsWith(prefix)).map((r) => r.rps));
  console.log(`ratio NATS/HTTP (best runs): ${(best("NATS") / best("HTTP")).toFixed(2)}`);
  console.log(`ratio gRPC/HTTP (best runs): ${(best("gRPC") / best("HTTP")).toFixed(2)}`);
} finally {
  users.kill("SIGTERM");
  await users.exited;
  await nats.stop();
  await database.drop();
  clearTimeout(watchdog);
}
