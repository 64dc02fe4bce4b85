// Place-order throughput: the orders service (source build, full middleware) on real PostgreSQL, calling the
// catalog service (source build, its own database) over NATS request-reply, driven by wrk with 1-3 line
// orders from a pool of users. Placing prices the order with catalog, writes it pending, reserves its stock
// in catalog and confirms it. Everything listens on 127.0.0.1: a private nats-server on a free port,
// catalog and orders in their own processes. orders is pinned to CPU 0, wrk to CPU 1; nats-server, catalog
// and PostgreSQL float. Bounded: a watchdog ends the run.
//   bun bench/orders/run.ts [seconds=5] [connections=16] [--a REV]
// --a REV also runs the orders service of git revision REV (a temporary worktree beside this checkout's
// node_modules, its own database) against the same catalog in the same rounds, A/B/A/B, so placing with
// the reservation is measured against the placing of REV in one run.
import { resolve } from "node:path";
import { freePort } from "@shared/testing/binary.ts";
import postgres from "postgres";
import { startPrivateNats } from "../../shared/testing/nats-server.ts";
import { checkout } from "../lib/checkout.ts";
import { type BenchDatabase, createBenchDatabase } from "../lib/database.ts";
import { placeOrdersScript, probeOrder, seedProducts } from "../lib/orders-load.ts";
import { cpuSeconds, runWrk, type WrkResult, waitFor } from "../lib/wrk.ts";

const root = resolve(import.meta.dir, "..", "..");
const argv = process.argv.slice(2);
const revAt = argv.indexOf("--a");
const rev = revAt >= 0 ? argv.splice(revAt, 2)[1] : undefined;
const seconds = Number(argv[0] ?? 5);
const connections = Number(argv[1] ?? 16);
const rounds = 2;

const children: { kill(signal?: number | NodeJS.Signals): void; exited: Promise<number> }[] = [];
const watchdog = setTimeout(
  () => {
    console.error("bench/orders: time limit reached, stopping");
    for (const c of children) c.kill("SIGKILL");
    process.exit(2);
  },
  ((seconds + 1) * rounds * (rev ? 2 : 1) * 3 + 120) * 1000,
);

function spawn(cmd: string[], env: Record<string, string>, cwd = root) {
  const proc = Bun.spawn(cmd, { cwd, env: { ...process.env, ...env }, stdout: "ignore", stderr: "inherit" });
  children.push(proc);
  return proc;
}

/** Starts catalog on its database, migrated, with every product in plenty of stock. */
async function startCatalog(db: BenchDatabase, natsUrl: string) {
  const port = await freePort();
  const proc = spawn(["bun", "services/catalog/src/main.ts", "serve"], {
    NATS_URL: natsUrl,
    DATABASE_URL: db.url,
    PORT: String(port),
    CATALOG_HTTP_HOST: "127.0.0.1",
    LOG_LEVEL: "warn",
  });
  await waitFor(`http://127.0.0.1:${port}/readyz`, 30_000);
  await seedProducts(db.url);
  return proc;
}

type Row = WrkResult & { name: string; ordersCpuUs: number; catalogCpuUs: number; written: number };

/** One measured run of the orders service checked out at `cwd` (warm-up first), stopped afterwards. */
async function measure(name: string, cwd: string, db: BenchDatabase, natsUrl: string, catalogPid: number) {
  const port = await freePort();
  const orders = spawn(
    ["taskset", "-c", "0", "bun", "services/orders/src/main.ts", "serve"],
    {
      NATS_URL: natsUrl,
      DATABASE_URL: db.url,
      PORT: String(port),
      ORDERS_HTTP_HOST: "127.0.0.1",
      LOG_LEVEL: "warn",
    },
    cwd,
  );
  try {
    const url = `http://127.0.0.1:${port}`;
    await waitFor(`${url}/readyz`, 30_000);
    await probeOrder(url);
    await runWrk({ url, seconds: 1, connections, cpu: 1, script });
    const sql = postgres(db.url, { max: 1, onnotice: () => {} });
    const count = async () => (await sql`select count(*)::int as n from orders.orders`)[0]!.n as number;
    const before = await count();
    const cpu = [cpuSeconds(orders.pid), cpuSeconds(catalogPid)];
    const r = await runWrk({ url, seconds, connections, cpu: 1, script });
    const perOrder = (s: number) => (s * 1e6) / Math.max(1, r.requests);
    const row: Row = {
      name,
      ...r,
      ordersCpuUs: perOrder(cpuSeconds(orders.pid) - cpu[0]!),
      catalogCpuUs: perOrder(cpuSeconds(catalogPid) - cpu[1]!),
      written: (await count()) - before,
    };
    await sql.end();
    return row;
  } finally {
    orders.kill("SIGTERM");
    await orders.exited;
  }
}

const nats = await startPrivateNats();
const databases: BenchDatabase[] = [];
const previous = rev ? checkout(rev, "bench-orders-rev") : null;
const script = placeOrdersScript();
try {
  const catalogDb = await createBenchDatabase("bench_orders_catalog");
  const ordersDb = await createBenchDatabase("bench_orders");
  databases.push(catalogDb, ordersDb);
  const oldDb = previous ? await createBenchDatabase("bench_orders_a") : null;
  if (oldDb) databases.push(oldDb);
  const catalog = await startCatalog(catalogDb, nats.url);

  const rows: Row[] = [];
  for (let round = 0; round < rounds; round++) {
    rows.push(await measure("orders", root, ordersDb, nats.url, catalog.pid));
    if (previous && oldDb) rows.push(await measure("orders@a", previous.dir, oldDb, nats.url, catalog.pid));
  }
  const best = (name: string) => rows.filter((r) => r.name === name).sort((a, b) => b.rps - a.rps)[0]!;
  const shown = previous ? [best("orders"), best("orders@a")] : [best("orders")];

  console.log(
    `POST /orders (1-3 lines; catalog service over NATS, PostgreSQL), ${connections} connections, ${seconds}s per run, best of ${rounds}`,
  );
  console.log("case       orders/s   p50 ms   p99 ms  orders CPU us  catalog CPU us  non-2xx  errors  written");
  for (const r of shown) {
    console.log(
      `${r.name.padEnd(9)} ${r.rps.toFixed(0).padStart(9)} ${r.p50ms.toFixed(2).padStart(8)} ${r.p99ms.toFixed(2).padStart(8)} ${r.ordersCpuUs.toFixed(0).padStart(14)} ${r.catalogCpuUs.toFixed(0).padStart(15)} ${String(r.non2xx).padStart(8)} ${String(r.errors).padStart(7)} ${String(r.written).padStart(8)}`,
    );
  }
  if (previous) {
    const [now, old] = shown as [Row, Row];
    console.log(
      `orders@a is ${rev}: orders/s ratio ${(now.rps / old.rps).toFixed(3)}, p50 ratio ${(now.p50ms / old.p50ms).toFixed(3)}, orders CPU/order ratio ${(now.ordersCpuUs / old.ordersCpuUs).toFixed(3)}`,
    );
  }
  catalog.kill("SIGTERM");
  await catalog.exited;
} finally {
  for (const c of children) c.kill("SIGKILL");
  previous?.remove();
  await nats.stop();
  for (const db of databases) await db.drop();
  clearTimeout(watchdog);
}
