#!/usr/bin/env bun
// Measures a binary's size and its start-to-first-200 time: spawn, poll /healthz on a free loopback
// port every millisecond, stop with SIGTERM. DATABASE_URL and the OTEL_* variables are passed through. Prints the median and spread over --runs (default 15).
//
//   bun scripts/measure-start.ts dist/hello-1.0.0-linux-x64 [more binaries...] [--runs N]
import { statSync } from "node:fs";
import { freePort } from "../shared/testing/binary.ts";

const otelEnv = Object.fromEntries(Object.entries(process.env).filter(([name]) => name.startsWith("OTEL_")));

async function once(path: string): Promise<number> {
  const port = await freePort();
  const started = performance.now();
  const proc = Bun.spawn([path], {
    env: { ...otelEnv, PATH: process.env.PATH ?? "", PORT: String(port), DATABASE_URL: process.env.DATABASE_URL },
    stdout: "ignore",
  });
  try {
    for (;;) {
      try {
        const res = await fetch(`http://127.0.0.1:${port}/healthz`);
        if (res.status === 200) return performance.now() - started;
      } catch {
        // not listening yet
      }
      if (performance.now() - started > 10_000) throw new Error(`${path} did not answer within 10 s`);
      await Bun.sleep(1);
    }
  } finally {
    proc.kill("SIGTERM");
    await proc.exited;
  }
}

const args = process.argv.slice(2);
const runsAt = args.indexOf("--runs");
const runs = runsAt >= 0 ? Number(args.splice(runsAt, 2)[1]) : 15;
for (const path of args) {
  await once(path); // warm the page cache
  const times: number[] = [];
  for (let i = 0; i < runs; i++) times.push(await once(path));
  times.sort((a, b) => a - b);
  const mib = (statSync(path).size / 1024 / 1024).toFixed(1);
  const median = times[Math.floor(times.length / 2)]!.toFixed(0);
  console.log(
    `${path}: ${mib} MiB, start to first 200 median ${median} ms (min ${times[0]!.toFixed(0)}, max ${times.at(-1)!.toFixed(0)}, n=${runs})`,
  );
}
