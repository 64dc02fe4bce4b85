// A WAL relay in a process of its own, for the test that SIGKILLs it. Configured by environment:
// WAL_PG_URL, WAL_NATS_URL, WAL_SCHEMA. Prints "leading" once it tails the slot.

import { connectJetStream, postgres } from "./wal.testkit.ts";
import { startWalRelay } from "./wal-relay.ts";

const sql = postgres(process.env.WAL_PG_URL ?? "", { max: 1 });
const schema = process.env.WAL_SCHEMA ?? "";
const bus = await connectJetStream(process.env.WAL_NATS_URL ?? "");
const relay = startWalRelay({
  sql,
  schema,
  publisher: bus.publisher,
  batchSize: 600,
  maxInFlight: 32,
  pollMs: 20,
  backoff: { initialMs: 50, maxMs: 500 },
  leaderRetryMs: 100,
  logger: {
    debug() {},
    info() {},
    warn: (obj, msg) => console.error(msg, obj),
    error: (obj, msg) => console.error(msg, obj),
  },
});
while (!relay.leading) await Bun.sleep(20);
console.log("leading");
