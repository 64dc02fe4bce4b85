// Two builds of the gateway measured against each other in one run: for a change whose effect is smaller than
// this machine's swings (a third within seconds), comparing runs made minutes apart shows nothing, so both
// gateways run at once against one backend and take turns under wrk in A B / B A pairs; each pair gives a B/A
// ratio measured seconds apart, and the report takes the median over the pairs.
//   bun bench/gateway/ab.ts --a REV|DIR [--b DIR] [--path /merge] [--pairs 16] [--duration 1]
//     [--b-env NAME=VALUE,...]
// A is a git revision (checked out into a temporary worktree beside this one's node_modules) or a directory
// holding another checkout; B defaults to this checkout. --b-env starts B with extra environment, so
// `--a HEAD --b-env LOG_LEVEL=warn` measures a switch of the same code. Paths: /plain, /merge (two backends),
// /merge1 (one decoding backend), /cached. CPU is read per run from every thread's schedstat (nanoseconds;
// JIT and GC threads included), user time and minor faults from /proc/PID/stat. Run an A/A comparison first
// (`--a HEAD`): its ratios show how far from 1.00 noise alone moves the medians on the machine at hand.
// Needs: wrk, taskset, git, two CPUs. Servers on CPU 0, wrk on CPU 1, as in run.ts.

import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { freePort } from "@shared/testing/binary.ts";
import { type Subprocess, spawn, spawnSync } from "bun";
import { checkout } from "../lib/checkout.ts";
import { runWrk, waitFor } from "../lib/wrk.ts";
import { benchEndpoints } from "./endpoints.ts";

const args = process.argv.slice(2);
const opt = (name: string, fallback: string) => {
  const i = args.indexOf(`--${name}`);
  return i >= 0 && args[i + 1] ? args[i + 1]! : fallback;
};
const ROOT = resolve(import.meta.dir, "../..");
const A = opt("a", "");
const B = resolve(opt("b", ROOT));
const PATH = opt("path", "/merge");
const PAIRS = Number(opt("pairs", "16"));
const DURATION = Number(opt("duration", "1"));
const B_ENV = Object.fromEntries(
  opt("b-env", "")
    .split(",")
    .filter(Boolean)
    .map((kv) => [kv.slice(0, kv.indexOf("=")), kv.slice(kv.indexOf("=") + 1)]),
);
const CLK_TCK = Number(spawnSync(["getconf", "CLK_TCK"]).stdout.toString().trim()) || 100;
if (!A) {
  console.error("usage: bun bench/gateway/ab.ts --a REV|DIR [--b DIR] [--path /merge] [--pairs 16] [--duration 1]");
  process.exit(2);
}
for (const tool of ["wrk", "taskset", "git"]) {
  if (spawnSync(["sh", "-c", `command -v ${tool}`]).exitCode !== 0) {
    console.error(`missing ${tool}: apt-get install -y wrk util-linux git`);
    process.exit(2);
  }
}

const tmp = mkdtempSync(join(tmpdir(), "gw-ab-"));
const children: Subprocess[] = [];
let worktree: { remove(): void } | null = null;
function cleanup(): void {
  for (const p of children) if (p.exitCode === null) p.kill("SIGTERM");
  worktree?.remove();
  rmSync(tmp, { recursive: true, force: true });
}
process.on("SIGINT", () => {
  cleanup();
  process.exit(130);
});

/** A directory as it is, or a revision checked out beside this checkout's dependencies. */
function checkoutOf(ref: string): string {
  if (existsSync(join(ref, "services/gateway/src/main.ts"))) return resolve(ref);
  const made = checkout(ref, "gw-ab-rev");
  worktree = made;
  return made.dir;
}

function start(name: string, cmd: string[], env: Record<string, string> = {}): Subprocess {
  const proc = spawn(["taskset", "-c", "0", ...cmd], {
    env: { ...process.env, ...env },
    stdout: "ignore",
    stderr: Bun.file(join(tmp, `${name}.stderr`)),
  });
  children.push(proc);
  return proc;
}

/** CPU of every thread in nanoseconds, user ticks and minor faults of the process so far. */
function usage(pid: number): { ns: number; userTicks: number; faults: number } {
  let ns = 0;
  for (const task of readdirSync(`/proc/${pid}/task`)) {
    try {
      ns += Number(readFileSync(`/proc/${pid}/task/${task}/schedstat`, "utf8").split(" ")[0]);
    } catch {}
  }
  const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
  const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
  return { ns, userTicks: Number(fields[11]), faults: Number(fields[7]) };
}

interface Run {
  rps: number;
  cpuUs: number;
  userUs: number;
  faults: number;
}

async function measure(url: string, pid: number, seconds: number): Promise<Run> {
  const u0 = usage(pid);
  const r = await runWrk({ url, seconds, connections: 64, cpu: 1 });
  const u1 = usage(pid);
  const n = Math.max(1, r.requests);
  if (r.non2xx > 0 || r.errors > 0) throw new Error(`${url}: ${r.non2xx} non-2xx answers, ${r.errors} socket errors`);
  return {
    rps: r.rps,
    cpuUs: (u1.ns - u0.ns) / 1000 / n,
    userUs: ((u1.userTicks - u0.userTicks) * 1e6) / CLK_TCK / n,
    faults: (u1.faults - u0.faults) / n,
  };
}

const backendPort = await freePort();
start("backend", ["bun", join(ROOT, "bench/gateway/backend.ts"), String(backendPort)]);
const host = [`http://127.0.0.1:${backendPort}`];
await waitFor(`${host[0]}/json`);

const aDir = checkoutOf(A);
async function gateway(name: string, dir: string, env: Record<string, string>): Promise<{ url: string; pid: number }> {
  const port = await freePort();
  const config = {
    version: 3,
    port,
    timeout: "3s",
    endpoints: benchEndpoints(host),
  };
  // a directory of its own per gateway: each watches its config's directory
  const configDir = mkdtempSync(join(tmp, `${name}-`));
  writeFileSync(join(configDir, "gateway.json"), JSON.stringify(config));
  const proc = start(
    name,
    ["bun", join(dir, "services/gateway/src/main.ts"), "serve", "-c", join(configDir, "gateway.json")],
    {
      LOG_LEVEL: "info",
      NODE_ENV: "production",
      ...env,
    },
  );
  const url = `http://127.0.0.1:${port}`;
  try {
    await waitFor(`${url}/__health`);
  } catch {
    throw new Error(`${name} did not start: ${readFileSync(join(tmp, `${name}.stderr`), "utf8").slice(0, 800)}`);
  }
  return { url, pid: proc.pid };
}

const median = (xs: number[]) => [...xs].sort((p, q) => p - q)[xs.length >> 1]!;
try {
  const a = await gateway("a", aDir, {});
  const b = await gateway("b", B, B_ENV);
  // warm both (JIT, upstream pools) before anything counts
  for (const g of [a, b, a, b]) await measure(g.url + PATH, g.pid, 2);
  const ratios = { rps: [] as number[], cpu: [] as number[], user: [] as number[] };
  const runs = { a: [] as Run[], b: [] as Run[] };
  for (let i = 0; i < PAIRS; i++) {
    const first = i % 2 === 0 ? a : b;
    const second = first === a ? b : a;
    const r1 = await measure(first.url + PATH, first.pid, DURATION);
    const r2 = await measure(second.url + PATH, second.pid, DURATION);
    const ra = first === a ? r1 : r2;
    const rb = first === a ? r2 : r1;
    runs.a.push(ra);
    runs.b.push(rb);
    ratios.rps.push(rb.rps / ra.rps);
    ratios.cpu.push(rb.cpuUs / ra.cpuUs);
    ratios.user.push(rb.userUs / ra.userUs);
    const show = (r: Run) =>
      `${r.rps.toFixed(0)} req/s, ${r.cpuUs.toFixed(1)} µs CPU (user ${r.userUs.toFixed(1)}), ${r.faults.toFixed(2)} faults`;
    console.log(`pair ${i + 1}/${PAIRS}: A ${show(ra)} | B ${show(rb)}`);
  }
  const med = (k: keyof Run, side: "a" | "b") => median(runs[side].map((r) => r[k]));
  console.log(
    `\n${PATH}, ${PAIRS} pairs of ${DURATION} s; A = ${A}, B = ${B === ROOT ? "this checkout" : B}${
      Object.keys(B_ENV).length ? ` with ${JSON.stringify(B_ENV)}` : ""
    }`,
  );
  console.log(
    `median B/A per pair: req/s ${median(ratios.rps).toFixed(3)}, CPU µs/req ${median(ratios.cpu).toFixed(3)}, user ${median(ratios.user).toFixed(3)}`,
  );
  console.log(
    `medians: A ${med("rps", "a").toFixed(0)} req/s ${med("cpuUs", "a").toFixed(1)} µs (user ${med("userUs", "a").toFixed(1)}) | B ${med("rps", "b").toFixed(0)} req/s ${med("cpuUs", "b").toFixed(1)} µs (user ${med("userUs", "b").toFixed(1)})`,
  );
} finally {
  cleanup();
}
process.exit(0);
