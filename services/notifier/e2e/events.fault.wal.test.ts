// The fault test of events.fault.test.ts with the orders relay in WAL mode (a
// permanent logical slot), plus PostgreSQL restarting while the relay runs. The database is a private
// embedded PostgreSQL (wal_level=logical) that the test stops and starts again on the same port.
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { type EmbeddedPostgresServer, startEmbeddedPostgres } from "@shared/db";
import { type PrivateNats, privateNatsAvailable, startPrivateNats } from "@shared/testing/nats-server.ts";
import { runFaultScenario } from "./fault.ts";

const n = Number(process.env.EVENTS_FAULT_N ?? 5_000);
// Restarting PostgreSQL under this load used to kill the orders and notifier processes inside postgres.js
// (an uncaught `socket.write` on a closed socket from a setImmediate, porsager/postgres#1208);
// patches/postgres@3.4.9.patch fails the query instead, so the restart is always part of this test.
// EVENTS_FAULT_PG_RESTART=0 leaves it out (to tell a driver regression from a relay one).
const restartPg = process.env.EVENTS_FAULT_PG_RESTART !== "0";

describe.skipIf(!privateNatsAvailable())("events under faults (WAL mode)", () => {
  let dataDir: string;
  let pg: EmbeddedPostgresServer;
  let nats: PrivateNats;

  beforeAll(async () => {
    dataDir = mkdtempSync(join(tmpdir(), "events-fault-wal-pg-"));
    [pg, nats] = await Promise.all([startEmbeddedPostgres({ dataDir }), startPrivateNats()]);
  }, 120_000);

  afterAll(async () => {
    await nats?.stop();
    await pg?.stop();
    if (dataDir) rmSync(dataDir, { recursive: true, force: true });
  });

  const faults = `NATS restart, orders SIGKILL, notifier SIGKILL${restartPg ? ", PostgreSQL restart" : ""}`;
  test(`${n} orders through ${faults}: one notification each`, async () => {
    const r = await runFaultScenario({
      n,
      mode: "wal",
      databaseUrl: pg.url,
      nats,
      restartDatabase: restartPg
        ? async () => {
            const port = pg.port;
            await pg.stop();
            await Bun.sleep(500);
            pg = await startEmbeddedPostgres({ dataDir, port });
          }
        : undefined,
    });
    expect(r.faults.length).toBe(restartPg ? 4 : 3);
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
