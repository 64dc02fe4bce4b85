// A WAL relay in a process of its own, for the test that SIGKILLs it. Configured by environment:
// WAL_PG_URL, WAL_NATS_URL, WAL_SCHEMA. Prints "leading" once it tails the slot.

import { connectJetStream } from "./wal.testkit.ts";
import { startWalRelay } from "./wal-relay.ts";

const url = process.env.WAL_PG_URL ?? "";
const schema = process.env.WAL_SCHEMA ?? "";
const bus = await connectJetStream(process.env.WAL_NATS_URL ?? "");
const relay = startWalRelay({
  url,
  schema,
  publisher: bus.publisher,
  batchSize: 600,
  maxInFlight: 32,
  pollMs: 20,
  backoff: { initialMs: 50, maxMs: 500 },
  leaderRetryMs: 100,
});
while (!relay.leading) await Bun.sleep(20);
console.log("leading");
