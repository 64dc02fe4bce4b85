// Helpers shared by the benchmarks: run wrk pinned to one core and read its figures; CPU time of a pid.
import { readFileSync } from "node:fs";

/** What one wrk run measured. */
export interface WrkResult {
  rps: number;
  p50ms: number;
  p99ms: number;
  requests: number;
  non2xx: number;
  errors: number;
}

function toMs(value: string): number {
  const m = /^([\d.]+)(us|ms|s)$/.exec(value.trim());
  if (!m) return Number.NaN;
  const n = Number(m[1]);
  return m[2] === "us" ? n / 1000 : m[2] === "s" ? n * 1000 : n;
}

/** Parses `wrk --latency` output. */
export function parseWrk(out: string): WrkResult {
  const rps = Number(/Requests\/sec:\s+([\d.]+)/.exec(out)?.[1] ?? Number.NaN);
  const p50 = toMs(/\s50%\s+(\S+)/.exec(out)?.[1] ?? "");
  const p99 = toMs(/\s99%\s+(\S+)/.exec(out)?.[1] ?? "");
  const requests = Number(/(\d+) requests in/.exec(out)?.[1] ?? 0);
  const non2xx = Number(/Non-2xx or 3xx responses: (\d+)/.exec(out)?.[1] ?? 0);
  const e = /Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)/.exec(out);
  const errors = e ? e.slice(1).reduce((a, b) => a + Number(b), 0) : 0;
  return { rps, p50ms: p50, p99ms: p99, requests, non2xx, errors };
}

/** Runs wrk (pinned to `cpu`) against a URL for a bounded time. */
export async function runWrk(opts: {
  url: string;
  seconds: number;
  connections: number;
  threads?: number;
  cpu?: number;
  headers?: Record<string, string>;
  script?: string;
}): Promise<WrkResult> {
  const args = ["-t", String(opts.threads ?? 1), "-c", String(opts.connections), "-d", `${opts.seconds}s`, "--latency"];
  for (const [k, v] of Object.entries(opts.headers ?? {})) args.push("-H", `${k}: ${v}`);
  if (opts.script) args.push("-s", opts.script);
  args.push(opts.url);
  const cmd = opts.cpu === undefined ? ["wrk", ...args] : ["taskset", "-c", String(opts.cpu), "wrk", ...args];
  const proc = Bun.spawn(cmd, { stdout: "pipe", stderr: "pipe" });
  const out = await new Response(proc.stdout).text();
  await proc.exited;
  return parseWrk(out);
}

/** User+system CPU seconds a process has used so far (Linux /proc). */
export function cpuSeconds(pid: number): number {
  const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
  const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
  const ticks = Number(fields[11]) + Number(fields[12]);
  return ticks / 100;
}

/** Waits until a URL answers 200 (bounded). */
export async function waitFor(url: string, timeoutMs = 15_000, headers: Record<string, string> = {}): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    try {
      const res = await fetch(url, { headers });
      if (res.ok) return;
    } catch {}
    await Bun.sleep(50);
  }
  throw new Error(`${url} did not answer 200 within ${timeoutMs} ms`);
}
