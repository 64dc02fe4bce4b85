// GET a user by id: the users service (source build, full middleware: validation, request id, access
// log, metrics) against a plain Bun.serve + postgres.js baseline doing the same query, side by side.
// Servers are pinned to CPU 0, wrk to CPU 1.
//   bun bench/users/run.ts [seconds] [connections] [--a REV]
// --a REV also runs the users service of git revision REV (checked out into a temporary worktree beside this
// checkout's node_modules) in the same rounds, so a change is measured against the code before it in one run.
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { freePort } from "@shared/testing/binary.ts";
import postgres from "postgres";
import { checkout } from "../lib/checkout.ts";
import { createBenchDatabase } from "../lib/database.ts";
import { cpuSeconds, runWrk, type WrkResult, waitFor } from "../lib/wrk.ts";

const root = resolve(import.meta.dir, "..", "..");
const argv = process.argv.slice(2);
const revAt = argv.indexOf("--a");
const rev = revAt >= 0 ? argv.splice(revAt, 2)[1] : undefined;
const seconds = Number(argv[0] ?? 5);
const connections = Number(argv[1] ?? 32);
const database = await createBenchDatabase("bench_users");
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
    await runWrk({ url: `http://127.0.0.1:${port}`, seconds: 1, connections, cpu: 1, script });
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
} finally {
  previous?.remove();
  await database.drop();
}
