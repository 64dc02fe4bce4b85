// Events pipeline bench: outbox commit -> relay -> JetStream -> durable consumer
// (inbox plus one write in its transaction) -> ack, for the notify-mode relay and the WAL-mode relay side
// by side on the same servers: events/s draining a backlog, and commit-to-ack p50/p99 at a fixed rate.
// Everything on 127.0.0.1: a private nats-server on a free port (file storage) and an embedded PostgreSQL
// with wal_level=logical in a temporary folder. Bounded by a watchdog.
// Usage: bun bench/events/run.ts [backlog=20000] [rate=500] [seconds=10]
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { startEmbeddedPostgres } from "@shared/db";
import { startPrivateNats } from "@shared/testing/nats-server.ts";
import * as measure from "./measure.ts";

const backlog = Number(process.argv[2] ?? 20_000);
const rate = Number(process.argv[3] ?? 500);
const seconds = Number(process.argv[4] ?? 10);
const modes = ["notify", "wal"] as const;
type Mode = (typeof modes)[number];

const watchdog = setTimeout(() => {
  console.error("bench/events: time limit reached, stopping");
  process.exit(2);
}, 300_000);

const dataDir = mkdtempSync(join(tmpdir(), "bench-events-pg-"));
const pg = await startEmbeddedPostgres({ dataDir });
const nats = await startPrivateNats();
const log = (line: string) => console.error(`  ${line}`);

type Row = { mode: Mode; drain: string; p50: string; p99: string; note: string };
const rows: Row[] = [];
try {
  for (const mode of modes) {
    console.error(`bench/events: ${mode} mode`);
    const common = {
      databaseUrl: pg.url,
      natsUrl: nats.url,
      relay: { mode, batchSize: 1000 },
      consumer: { concurrency: Number(process.env.BENCH_CONCURRENCY ?? 32) },
      log,
    };
    const drain = await measure.measureBacklogDrain({ ...common, events: backlog });
    const lat = await measure.measureLatencyAtRate({ ...common, rate, seconds });
    rows.push({
      mode,
      drain: `${Math.round(drain.eventsPerSecond)} ev/s (${drain.events} in ${drain.seconds.toFixed(2)} s)`,
      p50: `${lat.p50.toFixed(1)} ms`,
      p99: `${lat.p99.toFixed(1)} ms`,
      note: `${lat.events} events at ${Math.round(lat.achievedRate)}/s; max ${lat.max.toFixed(1)} ms; ${drain.distinct === drain.events && drain.handled === drain.events && lat.distinct === lat.handled ? "each handled once" : "DUPLICATES OR LOSS"}`,
    });
  }
} finally {
  await nats.stop();
  await pg.stop();
  rmSync(dataDir, { recursive: true, force: true });
  clearTimeout(watchdog);
}

console.log(
  `\nevents pipeline, commit -> relay -> JetStream (file) -> consumer ack; backlog ${backlog}, ${rate}/s for ${seconds} s`,
);
console.log("| relay mode | backlog drain (target >= 5,000/s) | p50 at fixed rate | p99 (target < 50 ms) | notes |");
console.log("|---|---|---|---|---|");
for (const r of rows) console.log(`| ${r.mode} | ${r.drain} | ${r.p50} | ${r.p99} | ${r.note} |`);
