// Tracing's price on the gateway's plain proxy: `bench/gateway/ab.ts --a HEAD --path /plain` with B the same
// code traced at sampling ratios 0, 0.1 and 1.0 (spans exported to a local sink) and A untraced, so each
// line is an on/off ratio measured in one run. Users GET by id: `bun bench/users/run.ts 5 32 --tracing`.
//   bun bench/telemetry/run.ts [--pairs 16] [--duration 1] [--path /plain]
import { resolve } from "node:path";
import { startOtlpSink } from "./sink.ts";

const args = process.argv.slice(2);
const root = resolve(import.meta.dir, "../..");
const passed = args.includes("--path") ? args : [...args, "--path", "/plain"];
const sink = startOtlpSink();
try {
  for (const ratio of ["0", "0.1", "1"]) {
    console.log(`\n== gateway, tracing at ratio ${ratio} (B) against tracing off (A)`);
    const env = `OTEL_EXPORTER_OTLP_ENDPOINT=${sink.url},OTEL_TRACES_SAMPLER_ARG=${ratio}`;
    // spawned, not spawnSync: the sink in this process must keep answering the gateway's exports
    const run = Bun.spawn(["bun", "bench/gateway/ab.ts", "--a", "HEAD", "--b-env", env, ...passed], {
      cwd: root,
      stdout: "inherit",
      stderr: "inherit",
    });
    const code = await run.exited;
    if (code !== 0) process.exitCode = code;
  }
  console.log(`\nspan exports received by the sink: ${sink.spans()}`);
} finally {
  sink.stop();
}
