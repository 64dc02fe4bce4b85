// At least 5,000 orders placed through the orders binary while, in turn, NATS
// restarts, orders (whose process runs the relay) is SIGKILLed and restarted, and the notifier is
// SIGKILLed and restarted; in the end the notifier holds exactly one order-placed notification per
// committed order. Notify-mode relay, the shared PostgreSQL, a private nats-server.
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { createTestDatabase, type TestDatabase } from "@shared/testing";
import { type PrivateNats, privateNatsAvailable, startPrivateNats } from "@shared/testing/nats-server.ts";
import { runFaultScenario } from "./fault.ts";

const n = Number(process.env.EVENTS_FAULT_N ?? 5_000);

describe.skipIf(!privateNatsAvailable())("events under faults (notify mode)", () => {
  let tdb: TestDatabase;
  let nats: PrivateNats;

  beforeAll(async () => {
    tdb = await createTestDatabase({ prefix: "events_fault" });
    nats = await startPrivateNats();
  }, 60_000);

  afterAll(async () => {
    await nats?.stop();
    await tdb?.drop();
  });

  test(`${n} orders through NATS restart, orders SIGKILL and notifier SIGKILL: one notification each`, async () => {
    const r = await runFaultScenario({ n, mode: "notify", databaseUrl: tdb.url, nats });
    expect(r.faults.length).toBe(3);
    expect(r.placedOk).toBeGreaterThanOrEqual(n);
    expect(r.ordersCommitted).toBeGreaterThanOrEqual(n);
    // Retries carry the placement's Idempotency-Key: one order per accepted placement, none lost or doubled.
    expect(r.abandoned).toBe(0);
    expect(r.ordersCommitted).toBe(r.placedOk);
    expect(r.notifications).toBe(r.ordersCommitted);
    expect(r.distinctEvents).toBe(r.ordersCommitted);
    expect(r.ordersWithoutNotification).toBe(0);
  }, 300_000);
});
