// Place-order throughput: the orders service (source build, full middleware) on real PostgreSQL, pricing
// every order with a catalog stand-in over NATS request-reply, driven by wrk with 1-3 line orders from a
// pool of users. Everything listens on 127.0.0.1: a private nats-server on a free port, the stand-in and
// orders in their own processes. orders is pinned to CPU 0, wrk to CPU 1; nats-server, the stand-in and
// PostgreSQL float. Bounded: a watchdog ends the run after seconds * 3 + 60 s.
// Usage: bun bench/orders/run.ts [seconds=5] [connections=16]
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { freePort } from "@shared/testing/binary.ts";
import postgres from "postgres";
import { startPrivateNats } from "../../shared/testing/nats-server.ts";
import { createBenchDatabase } from "../lib/database.ts";
import { cpuSeconds, runWrk, waitFor } from "../lib/wrk.ts";
import { productId } from "./catalog-standin.ts";

const root = resolve(import.meta.dir, "..", "..");
const seconds = Number(process.argv[2] ?? 5);
const connections = Number(process.argv[3] ?? 16);
const productCount = 1000;
const userCount = 200;

const children: { kill(signal?: number | NodeJS.Signals): void; exited: Promise<number> }[] = [];
const watchdog = setTimeout(
  () => {
    console.error("bench/orders: time limit reached, stopping");
    for (const c of children) c.kill("SIGKILL");
    process.exit(2);
  },
  (seconds * 3 + 60) * 1000,
);

const database = await createBenchDatabase("bench_orders");
const dbUrl = database.url;
const nats = await startPrivateNats();

function spawn(cmd: string[], env: Record<string, string>) {
  const proc = Bun.spawn(cmd, { cwd: root, env: { ...process.env, ...env }, stdout: "ignore", stderr: "inherit" });
  children.push(proc);
  return proc;
}

function loadScript(): string {
  const users = Array.from(
    { length: userCount },
    (_, i) => `"0190d9a4-6b1e-7c3a-9f51-a${i.toString(16).padStart(11, "0")}"`,
  );
  const products = Array.from({ length: productCount }, (_, n) => `"${productId(n)}"`);
  const file = join(mkdtempSync(join(tmpdir(), "bench-orders-")), "place.lua");
  writeFileSync(
    file,
    `local users = {${users.join(",")}}
local products = {${products.join(",")}}
local n = 0
request = function()
  n = n + 1
  local lines = {}
  local count = (n % 3) + 1
  for i = 1, count do
    local p = products[((n * 7 + i * 131) % #products) + 1]
    lines[i] = '{"productId":"' .. p .. '","quantity":' .. ((n + i) % 5 + 1) .. '}'
  end
  local body = '{"lines":[' .. table.concat(lines, ",") .. ']}'
  local headers = { ["content-type"] = "application/json", ["x-user-id"] = users[(n % #users) + 1], ["x-user-roles"] = "user" }
  return wrk.format("POST", "/orders", headers, body)
end
`,
  );
  return file;
}

try {
  const port = await freePort();
  const env = { NATS_URL: nats.url, DATABASE_URL: dbUrl };
  const catalog = spawn(["bun", "bench/orders/catalog-standin.ts", String(productCount)], env);
  const orders = spawn(["taskset", "-c", "0", "bun", "services/orders/src/main.ts", "serve"], {
    ...env,
    PORT: String(port),
    ORDERS_HTTP_HOST: "127.0.0.1",
    LOG_LEVEL: "warn",
  });
  const url = `http://127.0.0.1:${port}`;
  await waitFor(`${url}/readyz`, 30_000);
  // One order proves the whole path (catalog over NATS, PostgreSQL) before measuring.
  const probe = await fetch(`${url}/orders`, {
    method: "POST",
    headers: {
      "content-type": "application/json",
      "x-user-id": "0190d9a4-6b1e-7c3a-9f51-a00000000000",
      "x-user-roles": "user",
    },
    body: JSON.stringify({ lines: [{ productId: productId(1), quantity: 1 }] }),
  });
  if (probe.status !== 201) throw new Error(`probe order answered ${probe.status}: ${await probe.text()}`);

  const script = loadScript();
  await runWrk({ url, seconds: 1, connections, cpu: 1, script });
  const sql = postgres(dbUrl, { max: 1, onnotice: () => {} });
  const [before] = await sql`select count(*)::int as n from orders.orders`;
  const cpuBefore = cpuSeconds(orders.pid);
  const r = await runWrk({ url, seconds, connections, cpu: 1, script });
  const cpuUs = ((cpuSeconds(orders.pid) - cpuBefore) * 1e6) / Math.max(1, r.requests);
  const [after] = await sql`select count(*)::int as n from orders.orders`;
  const [lines] = await sql`select count(*)::int as n from orders.order_lines`;
  await sql.end();

  console.log(
    `POST /orders (1-3 lines, priced by catalog over NATS, written to PostgreSQL), ${connections} connections, ${seconds}s`,
  );
  console.log("orders/s   p50 ms   p99 ms   orders CPU us/order   non-2xx  socket errors  orders written");
  console.log(
    `${r.rps.toFixed(0).padStart(8)} ${r.p50ms.toFixed(2).padStart(8)} ${r.p99ms.toFixed(2).padStart(8)} ${cpuUs.toFixed(0).padStart(21)} ${String(r.non2xx).padStart(9)} ${String(r.errors).padStart(14)} ${String(after!.n - before!.n).padStart(15)}`,
  );
  console.log(`(${lines!.n} order lines in total; catalog stand-in serves ${productCount} products from memory)`);
  for (const c of [orders, catalog]) c.kill("SIGTERM");
  await Promise.all([orders.exited, catalog.exited]);
} finally {
  for (const c of children) c.kill("SIGKILL");
  await nats.stop();
  await database.drop();
  clearTimeout(watchdog);
}
