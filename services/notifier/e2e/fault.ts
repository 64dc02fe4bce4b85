// The fault scenario shared by the notify-mode and WAL-mode tests: the
// orders and notifier binaries on one database and a private nats-server, a catalog stand-in answering
// `catalog.products.get` and the stock reservation pair, and N orders placed over HTTP (each placement
// retried with its own Idempotency-Key until it is answered) while, in turn, NATS restarts, the orders
// process (and with it its relay) is killed with SIGKILL and restarted, the notifier is killed with SIGKILL
// and restarted, and (optionally) PostgreSQL restarts. The result says how many placements were accepted,
// how many orders committed as placed (a placement cut off by a fault stays pending or becomes rejected, and
// announces nothing) and how many order-placed notifications the notifier holds, so the test can ask for
// exactly one placed order per accepted placement and exactly one notification per order.

import { connect } from "@nats-io/transport-node";
import type { CatalogProductDto } from "@shared/contracts/catalog.ts";
import { serveOverNats } from "@shared/endpoint";
import { catalogStandIn } from "@shared/testing";
import { buildService, copyAlone, freePort, type RunningBinary, startBinary } from "@shared/testing/binary.ts";
import type { PrivateNats } from "@shared/testing/nats-server.ts";
import pino from "pino";
import postgres from "postgres";
import { notifierFaultEnv, ordersFaultEnv, settleNotifications, startPlacing } from "./placing.ts";

const product: CatalogProductDto = {
  id: "0190d9a4-6b1e-7c3a-9f51-00000000f001",
  sku: "MUG",
  name: "Mug",
  priceMinor: 1250,
  currency: "EUR",
  stock: 1_000_000_000,
  active: true,
};
/** What the scenario needs from its surroundings. */
export interface FaultScenario {
  /** Orders to place (placing stops once this many were answered 201; a few more may be under way). */
  n: number;
  mode: "notify" | "wal";
  databaseUrl: string;
  nats: PrivateNats;
  /** Restarts PostgreSQL (WAL mode test); omitted: no database fault. */
  restartDatabase?: () => Promise<void>;
  /** Concurrent placing clients (default 16). */
  clients?: number;
  /** Stop placing after this long, whatever was placed (default 150 s). */
  placeMs?: number;
  /** Give up waiting for the notifier after this long once placing is done (default 120 s). */
  settleMs?: number;
  log?: (line: string) => void;
}

/** What happened. */
export interface FaultResult {
  /** Placements answered 201 (each with its own Idempotency-Key, however many attempts it took). */
  placedOk: number;
  /** Placements whose 201 came from a replay: an earlier attempt had committed but its answer was lost. */
  replayed: number;
  /** Placements given up on before an answer (none expected: their order may or may not exist). */
  abandoned: number;
  ordersCommitted: number;
  notifications: number;
  distinctEvents: number;
  ordersWithoutNotification: number;
  placingMs: number;
  settleMs: number;
  faults: string[];
}

/** Runs the scenario and returns the counts; every process it started is stopped before it returns. */
export async function runFaultScenario(s: FaultScenario): Promise<FaultResult> {
  const log = s.log ?? ((line: string) => console.log(`[fault ${s.mode}] ${line}`));
  const [ordersBin, notifierBin] = await Promise.all([
    buildService("orders").then(copyAlone),
    buildService("notifier").then(copyAlone),
  ]);
  const ordersPort = await freePort();
  const notifierPort = await freePort();
  const common = { DATABASE_URL: s.databaseUrl, NATS_URL: s.nats.url, LOG_LEVEL: "warn" };
  const startOrders = () =>
    startBinary({
      path: ordersBin,
      args: ["serve"],
      port: ordersPort,
      timeoutMs: 30_000,
      env: { ...common, ...ordersFaultEnv, ORDERS_RELAY_MODE: s.mode },
    });
  const startNotifier = () =>
    startBinary({
      path: notifierBin,
      args: ["serve"],
      port: notifierPort,
      timeoutMs: 30_000,
      env: { ...common, ...notifierFaultEnv },
    });

  // The catalog stand-in lives in this process on its own reconnecting connection.
  const catalogNc = await connect({ servers: s.nats.url, maxReconnectAttempts: -1, reconnectTimeWait: 100 });
  await serveOverNats({
    nc: catalogNc,
    service: { name: "catalog", version: "0.0.0-standin" },
    endpoints: catalogStandIn([product]).endpoints,
    logger: pino({ level: "silent" }),
  });

  let orders: RunningBinary = await startOrders();
  let notifier: RunningBinary = await startNotifier();
  const sql = postgres(s.databaseUrl, { max: 2, onnotice: () => {} });
  const faults: string[] = [];
  const started = Date.now();
  const placing = startPlacing({
    n: s.n,
    urls: () => [`http://127.0.0.1:${ordersPort}`],
    productId: product.id,
    clients: s.clients,
    placeMs: s.placeMs ?? Number(process.env.EVENTS_FAULT_PLACE_MS ?? 150_000),
    log,
  });
  const { stats } = placing;
  const at = placing.at;

  const timed = async (name: string, fn: () => Promise<void>) => {
    const t0 = Date.now();
    const before = stats.placedOk;
    await fn();
    const line = `${name} at ${before} placed, ${Date.now() - t0} ms`;
    faults.push(line);
    log(line);
  };

  const chaos = (async () => {
    const step = Math.floor(s.n / (s.restartDatabase ? 6 : 5));
    await at(step);
    await timed("NATS restarted", async () => {
      await s.nats.restart({ downMs: 500 });
    });
    await at(stats.placedOk + step);
    await timed("orders (and its relay) SIGKILLed and restarted", async () => {
      await orders.stop("SIGKILL");
      orders = await startOrders();
    });
    await at(stats.placedOk + step);
    await timed("notifier SIGKILLed and restarted", async () => {
      await notifier.stop("SIGKILL");
      notifier = await startNotifier();
    });
    if (s.restartDatabase) {
      await at(stats.placedOk + step);
      await timed("PostgreSQL restarted", s.restartDatabase);
    }
  })();

  try {
    await Promise.all([placing.done, chaos]);
    const placingMs = Date.now() - started;
    log(
      `placed ${stats.placedOk} in ${placingMs} ms (${stats.failedAttempts} failed attempts retried, ${stats.replayed} answered by a replay, ${stats.abandoned} abandoned)`,
    );
    const counted = await settleNotifications(sql, s.settleMs ?? Number(process.env.EVENTS_FAULT_SETTLE_MS ?? 120_000));
    if (counted.notifications !== counted.orders || stats.placedOk < s.n) {
      for (const [name, p] of [
        ["orders", orders],
        ["notifier", notifier],
      ] as const) {
        log(`${name} output (last 12 lines):\n${[...p.stdout, ...p.stderr].slice(-12).join("\n")}`);
      }
    }
    log(
      `orders ${counted.orders}, notifications ${counted.notifications} (${counted.distinctEvents} distinct events), settled in ${counted.settleMs} ms`,
    );
    return {
      placedOk: stats.placedOk,
      replayed: stats.replayed,
      abandoned: stats.abandoned,
      ordersCommitted: counted.orders,
      notifications: counted.notifications,
      distinctEvents: counted.distinctEvents,
      ordersWithoutNotification: counted.ordersWithoutNotification,
      placingMs,
      settleMs: counted.settleMs,
      faults,
    };
  } finally {
    placing.stop();
    await chaos.catch(() => {});
    await Promise.allSettled([orders.stop("SIGKILL"), notifier.stop("SIGKILL")]);
    await catalogNc.close().catch(() => {});
    await sql.end();
  }
}
