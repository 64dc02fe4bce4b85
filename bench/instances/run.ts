// Place-order throughput through one orders instance against two side by side, in one run: two orders
// processes (source build) on the same database and private nats-server, calling one catalog process over
// NATS. "one" sends every connection to the first instance; "two" splits the same connections evenly over
// both (one wrk per instance, as a round-robin balancer would), rounds alternating one/two. Nothing is
// pinned: on a small machine the instances, catalog, PostgreSQL, NATS and wrk share the cores, so the
// machine's CPU use is printed beside each figure. Bounded: a watchdog ends the run.
//   bun bench/instances/run.ts [seconds=5] [connections=16] [rounds=2]
import { readFileSync } from "node:fs";
import { resolve } from "node:path";
import { freePort } from "@shared/testing/binary.ts";
import postgres from "postgres";
import { startPrivateNats } from "../../shared/testing/nats-server.ts";
import { type BenchDatabase, createBenchDatabase } from "../lib/database.ts";
import { placeOrdersScript, probeOrder, seedProducts } from "../lib/orders-load.ts";
import { cpuSeconds, runWrk, type WrkResult, waitFor } from "../lib/wrk.ts";

const root = resolve(import.meta.dir, "..", "..");
const seconds = Number(process.argv[2] ?? 5);
const connections = Number(process.argv[3] ?? 16);
const rounds = Number(process.argv[4] ?? 2);

const children: { kill(signal?: number | NodeJS.Signals): void; exited: Promise<number> }[] = [];
const watchdog = setTimeout(
  () => {
    console.error("bench/instances: time limit reached, stopping");
    for (const c of children) c.kill("SIGKILL");
    process.exit(2);
  },
  ((seconds + 1) * rounds * 2 * 2 + 120) * 1000,
);

/** Starts a service from source and resolves once it is ready. */
async function startService(service: string, env: Record<string, string>) {
  const port = await freePort();
  const proc = Bun.spawn(["bun", `services/${service}/src/main.ts`, "serve"], {
    cwd: root,
    env: { ...process.env, ...env, PORT: String(port), LOG_LEVEL: "warn" },
    stdout: "ignore",
    stderr: "inherit",
  });
  children.push(proc);
  const url = `http://127.0.0.1:${port}`;
  await waitFor(`${url}/readyz`, 30_000);
  return { proc, url };
}

/** Busy and total jiffies of the whole machine (every core), from /proc/stat. */
function machineTicks(): { busy: number; total: number } {
  const fields = readFileSync("/proc/stat", "utf8").split("\n")[0]!.trim().split(/\s+/).slice(1).map(Number);
  const total = fields.reduce((a, b) => a + b, 0);
  const idle = fields[3]! + (fields[4] ?? 0);
  return { busy: total - idle, total };
}

interface Row {
  name: string;
  rps: number;
  p50ms: number;
  p99ms: number;
  errors: number;
  non2xx: number;
  /** CPU seconds per second of each orders instance, of catalog, and the machine's busy share. */
  ordersCpu: number[];
  catalogCpu: number;
  machineBusy: number;
  written: number;
}

const nats = await startPrivateNats();
const databases: BenchDatabase[] = [];
const script = placeOrdersScript();
try {
  const catalogDb = await createBenchDatabase("bench_instances_catalog");
  const ordersDb = await createBenchDatabase("bench_instances");
  databases.push(catalogDb, ordersDb);
  const catalog = await startService("catalog", { NATS_URL: nats.url, DATABASE_URL: catalogDb.url });
  await seedProducts(catalogDb.url);
  const ordersEnv = { NATS_URL: nats.url, DATABASE_URL: ordersDb.url };
  // One after the other: the first migrates, the second finds the schema in place.
  const orders = [await startService("orders", ordersEnv), await startService("orders", ordersEnv)];
  for (const o of orders) await probeOrder(o.url);
  for (const o of orders) await runWrk({ url: o.url, seconds: 1, connections: connections / 2, script });

  const sql = postgres(ordersDb.url, { max: 1, onnotice: () => {} });
  const count = async () => (await sql`select count(*)::int as n from orders.orders`)[0]!.n as number;

  async function measure(name: "one" | "two"): Promise<Row> {
    const targets = name === "one" ? [orders[0]!.url] : orders.map((o) => o.url);
    const before = await count();
    const cpu = [...orders.map((o) => cpuSeconds(o.proc.pid)), cpuSeconds(catalog.proc.pid)];
    const machine = machineTicks();
    const started = performance.now();
    const runs: WrkResult[] = await Promise.all(
      targets.map((url) => runWrk({ url, seconds, connections: connections / targets.length, script })),
    );
    const elapsed = (performance.now() - started) / 1000;
    const after = machineTicks();
    const used = (pid: number, i: number) => (cpuSeconds(pid) - cpu[i]!) / elapsed;
    return {
      name,
      rps: runs.reduce((sum, r) => sum + r.rps, 0),
      p50ms: runs.reduce((sum, r) => sum + r.p50ms, 0) / runs.length,
      p99ms: Math.max(...runs.map((r) => r.p99ms)),
      errors: runs.reduce((sum, r) => sum + r.errors, 0),
      non2xx: runs.reduce((sum, r) => sum + r.non2xx, 0),
      ordersCpu: orders.map((o, i) => used(o.proc.pid, i)),
      catalogCpu: used(catalog.proc.pid, orders.length),
      machineBusy: (after.busy - machine.busy) / Math.max(1, after.total - machine.total),
      written: (await count()) - before,
    };
  }

  const rows: Row[] = [];
  for (let round = 0; round < rounds; round++) rows.push(await measure("one"), await measure("two"));
  await sql.end();
  const best = (name: string) => rows.filter((r) => r.name === name).sort((a, b) => b.rps - a.rps)[0]!;
  const [one, two] = [best("one"), best("two")];

  console.log(
    `POST /orders through one orders instance vs two side by side (same PostgreSQL and NATS, one catalog), ${connections} connections, ${seconds}s per run, best of ${rounds}; ${navigator.hardwareConcurrency} cores`,
  );
  console.log(
    "case  orders/s   p50 ms   p99 ms  orders CPU (per instance)  catalog CPU  machine busy  non-2xx  errors  written",
  );
  for (const r of [one, two]) {
    console.log(
      `${r.name.padEnd(4)} ${r.rps.toFixed(0).padStart(9)} ${r.p50ms.toFixed(2).padStart(8)} ${r.p99ms.toFixed(2).padStart(8)} ${r.ordersCpu
        .map((c) => c.toFixed(2))
        .join(" + ")
        .padStart(
          26,
        )} ${r.catalogCpu.toFixed(2).padStart(12)} ${`${(r.machineBusy * 100).toFixed(0)}%`.padStart(13)} ${String(r.non2xx).padStart(8)} ${String(r.errors).padStart(7)} ${String(r.written).padStart(8)}`,
    );
  }
  console.log(`two/one orders/s ratio ${(two.rps / one.rps).toFixed(3)}`);
} finally {
  for (const c of children) c.kill("SIGTERM");
  await Promise.all(children.map((c) => c.exited));
  await nats.stop();
  for (const db of databases) await db.drop();
  clearTimeout(watchdog);
}
