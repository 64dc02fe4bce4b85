// GET a user by id: the users service (source build, full middleware: validation, request id, access
// log, metrics) against a plain Bun.serve + postgres.js baseline doing the same query, side by side.
// Servers are pinned to CPU 0, wrk to CPU 1.
//   bun bench/users/run.ts [seconds] [connections] [--a REV] [--tracing] [--rounds N] [--warmup SECONDS]
// --a REV also runs the users service of git revision REV (checked out into a temporary worktree beside this
// checkout's node_modules) in the same rounds, so a change is measured against the code before it in one run.
// --tracing runs the service with tracing off and on at sampling ratios 0, 0.1 and 1.0 (spans exported to a
// local OTLP sink), side by side in the same rounds (default 4, rotating the order), instead of the baseline.
// Each case is compared with the tracing-off run of its own round, and the median of those ratios is reported:
// a fresh process on a shared loopback varies by 10-20% from run to run, and pairing within a round cancels
// most of the drift between rounds.
// --warmup is the load each server takes before it is measured (default 1 s; 15 s with --tracing). At ratio
// 0.1 the traced path runs for one request in ten, so its code reaches the optimizing JIT tiers only after
// some 200,000 requests: a shorter warm-up measures part of that warm-up instead of the steady state a
// long-running service is in.
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { freePort } from "@shared/testing/binary.ts";
import postgres from "postgres";
import { checkout } from "../lib/checkout.ts";
import { createBenchDatabase, createPinnedBenchDatabase } from "../lib/database.ts";
import { cpuSeconds, runWrk, type WrkResult, waitFor } from "../lib/wrk.ts";

const root = resolve(import.meta.dir, "..", "..");
const argv = process.argv.slice(2);
const revAt = argv.indexOf("--a");
const rev = revAt >= 0 ? argv.splice(revAt, 2)[1] : undefined;
const tracingAt = argv.indexOf("--tracing");
const tracing = tracingAt >= 0 && argv.splice(tracingAt, 1).length > 0;
const warmupAt = argv.indexOf("--warmup");
const warmup = warmupAt >= 0 ? Number(argv.splice(warmupAt, 2)[1]) : tracing ? 15 : 1;
const roundsAt = argv.indexOf("--rounds");
const rounds = roundsAt >= 0 ? Number(argv.splice(roundsAt, 2)[1]) : 4;
const seconds = Number(argv[0] ?? 5);
const connections = Number(argv[1] ?? 32);
// With --tracing the database runs on a server of the run's own, pinned to wrk's CPU (see createPinnedBenchDatabase).
const database = tracing ? await createPinnedBenchDatabase("bench_users", 1) : await createBenchDatabase("bench_users");
const dbUrl = database.url;

const ids: string[] = [];
const adminId = "0190d9a4-6b1e-7c3a-9f51-000000000001";

function spawnPinned(cmd: string[], env: Record<string, string>, cwd = root) {
  return Bun.spawn(["taskset", "-c", "0", ...cmd], {
    cwd,
    env: { ...process.env, ...env },
    stdout: "ignore",
    stderr: "inherit",
  });
}

async function measure(name: string, port: number, cmd: string[], env: Record<string, string>, cwd = root) {
  const proc = spawnPinned(cmd, { ...env, PORT: String(port), DATABASE_URL: dbUrl }, cwd);
  try {
    await waitFor(`http://127.0.0.1:${port}/users/${ids[0]}`, 20_000, {
      "x-user-id": adminId,
      "x-user-roles": "admin",
    });
    // Warm up JIT and pool, then measure.
    await runWrk({ url: `http://127.0.0.1:${port}`, seconds: warmup, connections, cpu: 1, script });
    const before = cpuSeconds(proc.pid);
    const r = await runWrk({ url: `http://127.0.0.1:${port}`, seconds, connections, cpu: 1, script });
    const cpuUs = ((cpuSeconds(proc.pid) - before) * 1e6) / Math.max(1, r.requests);
    return { name, ...r, cpuUs };
  } finally {
    proc.kill("SIGTERM");
    await proc.exited;
  }
}

let script = "";
const previous = rev ? checkout(rev, "bench-users-rev") : null;
const before = previous?.dir ?? null;
try {
  // The service migrates its own schema; then seed 1,000 profiles.
  const migrate = Bun.spawnSync(["bun", "services/users/src/main.ts", "migrate", "up"], {
    cwd: root,
    env: { ...process.env, DATABASE_URL: dbUrl, LOG_LEVEL: "warn" },
  });
  if (migrate.exitCode !== 0) throw new Error(`migrate failed: ${migrate.stderr.toString()}`);
  const db = postgres(dbUrl, { max: 1 });
  for (let i = 0; i < 1000; i++) ids.push(Bun.randomUUIDv7());
  await db`insert into users.profiles ${db(ids.map((id, i) => ({ id, email: `u${i}@example.com`, display_name: `User ${i}` })))}`;
  await db.end();

  const dir = mkdtempSync(join(tmpdir(), "bench-users-"));
  script = join(dir, "ids.lua");
  writeFileSync(
    script,
    `local ids = {${ids.map((id) => `"${id}"`).join(",")}}
local n = 0
request = function()
  n = n + 1
  return wrk.format("GET", "/users/" .. ids[(n % #ids) + 1], { ["x-user-id"] = "${adminId}", ["x-user-roles"] = "admin" })
end
`,
  );

  if (tracing) await compareTracing();
  else await compareBaseline();
} finally {
  previous?.remove();
  await database.drop();
}

/** The service against the plain baseline (and against revision --a when given). */
async function compareBaseline(): Promise<void> {
  const rows: (WrkResult & { name: string; cpuUs: number })[] = [];
  // A/B/A/B so drift on a noisy machine hits both sides alike; each side's best run is kept.
  for (let round = 0; round < 2; round++) {
    rows.push(await measure("baseline", await freePort(), ["bun", "bench/users/baseline.ts"], {}));
    const serve = ["bun", "services/users/src/main.ts", "serve"];
    rows.push(await measure("users", await freePort(), serve, { LOG_LEVEL: "info" }));
    if (before) rows.push(await measure("users@a", await freePort(), serve, { LOG_LEVEL: "info" }, before));
  }
  const best = (name: string) => rows.filter((r) => r.name === name).sort((a, b) => b.rps - a.rps)[0]!;
  const base = best("baseline");
  const svc = best("users");
  const old = before ? best("users@a") : null;
  console.log(
    `GET /users/{id}, ${connections} connections, ${seconds}s per run, best of 2 (servers on CPU 0, wrk on CPU 1)`,
  );
  console.log("case        req/s     p50 ms   p99 ms   CPU us/req  errors");
  for (const r of old ? [base, svc, old] : [base, svc]) {
    console.log(
      `${r.name.padEnd(10)} ${r.rps.toFixed(0).padStart(7)} ${r.p50ms.toFixed(2).padStart(9)} ${r.p99ms.toFixed(2).padStart(8)} ${r.cpuUs.toFixed(1).padStart(11)}  ${r.errors + r.non2xx}`,
    );
  }
  console.log(`ratio users/baseline: ${(svc.rps / base.rps).toFixed(2)} (target >= 0.80)`);
  if (old) {
    console.log(
      `users@a is ${rev}: ratio users/users@a: req/s ${(svc.rps / old.rps).toFixed(3)}, CPU/req ${(svc.cpuUs / old.cpuUs).toFixed(3)}`,
    );
  }
}

/** Users GET by id with tracing off, then on at ratios 0, 0.1 and 1.0, in rotating order; medians of the rounds. */
async function compareTracing(): Promise<void> {
  const { startOtlpSink } = await import("../telemetry/sink.ts");
  const sink = startOtlpSink();
  const serve = ["bun", "services/users/src/main.ts", "serve"];
  const on = (ratio: string) => ({
    OTEL_EXPORTER_OTLP_ENDPOINT: sink.url,
    OTEL_TRACES_SAMPLER: "parentbased_traceidratio",
    OTEL_TRACES_SAMPLER_ARG: ratio,
  });
  const cases: [string, Record<string, string>][] = [
    ["off", {}],
    ["ratio 0", on("0")],
    ["ratio 0.1", on("0.1")],
    ["ratio 1.0", on("1")],
  ];
  const runs: Map<string, WrkResult & { cpuUs: number }>[] = [];
  console.log(
    `GET /users/{id} with tracing, ${connections} connections, ${seconds}s per run after ${warmup}s of warm-up, ${rounds} rounds`,
  );
  console.log("round case        req/s     p50 ms   p99 ms   CPU us/req  errors");
  try {
    for (let round = 0; round < rounds; round++) {
      const measured = new Map<string, WrkResult & { cpuUs: number }>();
      for (let i = 0; i < cases.length; i++) {
        const [name, env] = cases[(i + round) % cases.length]!;
        const r = await measure(name, await freePort(), serve, { LOG_LEVEL: "info", ...env });
        measured.set(name, r);
        console.log(
          `${String(round + 1).padStart(5)} ${name.padEnd(10)} ${r.rps.toFixed(0).padStart(7)} ${r.p50ms.toFixed(2).padStart(9)} ${r.p99ms.toFixed(2).padStart(8)} ${r.cpuUs.toFixed(1).padStart(11)}  ${r.errors + r.non2xx}`,
        );
      }
      runs.push(measured);
    }
  } finally {
    sink.stop();
  }
  const median = (xs: number[]) => {
    const sorted = [...xs].sort((a, b) => a - b);
    const mid = sorted.length >> 1;
    return sorted.length % 2 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
  };
  const of = (name: string, pick: (r: WrkResult & { cpuUs: number }) => number) => runs.map((m) => pick(m.get(name)!));
  console.log("\ncase        req/s   CPU us/req   req/s vs off   CPU/req vs off   (medians of the rounds)");
  const offRps = of("off", (r) => r.rps);
  const offCpu = of("off", (r) => r.cpuUs);
  for (const [name] of cases) {
    const rps = of(name, (r) => r.rps);
    const cpu = of(name, (r) => r.cpuUs);
    const rpsRatio = median(rps.map((x, i) => x / offRps[i]!));
    const cpuRatio = median(cpu.map((x, i) => x / offCpu[i]!));
    console.log(
      `${name.padEnd(10)} ${median(rps).toFixed(0).padStart(7)} ${median(cpu).toFixed(1).padStart(12)} ${rpsRatio.toFixed(3).padStart(14)} ${cpuRatio.toFixed(3).padStart(16)}`,
    );
  }
  console.log(`span exports received by the sink: ${sink.spans()}; budget: ratio 0 >= 0.97 of off, ratio 0.1 >= 0.90`);
}
