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

const product: CatalogProductDto = {
  id: "0190d9a4-6b1e-7c3a-9f51-00000000f001",
  sku: "MUG",
  name: "Mug",
  priceMinor: 1250,
  currency: "EUR",
  stock: 1_000_000_000,
  active: true,
};
const users = Array.from(
  { length: 20 },
  (_, i) => `0190d9a4-6b1e-7c3a-9f51-${(0xa000 + i).toString(16).padStart(12, "0")}`,
);

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
      env: {
        ...common,
        ORDERS_RELAY_MODE: s.mode,
        // A short breaker, so placing resumes soon after NATS is back.
        ORDERS_CATALOG_BREAKER_OPEN_MS: "200",
        ORDERS_CATALOG_TIMEOUT_MS: "1000",
        ORDERS_DB_POOL_MAX: "12",
      },
    });
  const startNotifier = () =>
    startBinary({
      path: notifierBin,
      args: ["serve"],
      port: notifierPort,
      timeoutMs: 30_000,
      env: {
        ...common,
        // Unacked messages of a killed notifier come back after this, not after the default 30 s.
        NOTIFIER_CONSUMER_ACK_WAIT_MS: "3000",
        NOTIFIER_CONSUMER_RETRY_MS: "200",
        NOTIFIER_CONSUMER_CONCURRENCY: "32",
      },
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
  let placedOk = 0;
  let failedAttempts = 0;
  let replayed = 0;
  let stopPlacing = false;
  let abandoned = 0;

  // One placement: a fresh Idempotency-Key, retried with that same key until orders answers it. An attempt
  // whose answer a kill cut off may have committed; its retry then gets that order back instead of a second.
  const placeOne = async (i: number) => {
    const key = crypto.randomUUID();
    const body = JSON.stringify({ lines: [{ productId: product.id, quantity: 1 + (i % 3) }] });
    // A placement under way is seen through even after placing stops, so no committed order goes uncounted.
    const giveUpAt = Date.now() + 60_000;
    for (;;) {
      if (stopPlacing && Date.now() > giveUpAt) {
        abandoned++;
        return;
      }
      try {
        const res = await fetch(`http://127.0.0.1:${ordersPort}/orders`, {
          method: "POST",
          headers: {
            "content-type": "application/json",
            "idempotency-key": `"${key}"`,
            "x-user-id": users[i % users.length]!,
            "x-user-roles": "user",
          },
          body,
          signal: AbortSignal.timeout(5_000),
        });
        await res.arrayBuffer();
        if (res.status === 201) {
          placedOk++;
          if (res.headers.get("idempotent-replayed") === "true") replayed++;
          return;
        }
        failedAttempts++; // 503 while catalog or NATS is away, 409 while an earlier attempt still runs
      } catch {
        failedAttempts++; // orders is down (killed) or the answer was cut off
      }
      await Bun.sleep(20);
    }
  };
  const place = async (i: number) => {
    while (!stopPlacing && placedOk < s.n) await placeOne(i);
  };

  const at = async (count: number) => {
    while (placedOk < count && !stopPlacing) await Bun.sleep(10);
  };
  const timed = async (name: string, fn: () => Promise<void>) => {
    const t0 = Date.now();
    const before = placedOk;
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
    await at(placedOk + step);
    await timed("orders (and its relay) SIGKILLed and restarted", async () => {
      await orders.stop("SIGKILL");
      orders = await startOrders();
    });
    await at(placedOk + step);
    await timed("notifier SIGKILLed and restarted", async () => {
      await notifier.stop("SIGKILL");
      notifier = await startNotifier();
    });
    if (s.restartDatabase) {
      await at(placedOk + step);
      await timed("PostgreSQL restarted", s.restartDatabase);
    }
  })();

  const placeDeadline = setTimeout(
    () => {
      stopPlacing = true;
      log(`placing stopped by its deadline at ${placedOk}`);
    },
    s.placeMs ?? Number(process.env.EVENTS_FAULT_PLACE_MS ?? 150_000),
  );
  try {
    await Promise.all([...Array.from({ length: s.clients ?? 16 }, (_, i) => place(i)), chaos]);
    clearTimeout(placeDeadline);
    const placingMs = Date.now() - started;
    log(
      `placed ${placedOk} in ${placingMs} ms (${failedAttempts} failed attempts retried, ${replayed} answered by a replay, ${abandoned} abandoned)`,
    );

    const count = async () => {
      const [row] = await sql<{ orders: number; notes: number; distinct: number }[]>`
        select (select count(*)::int from orders.orders where status = 'placed') as orders,
               (select count(*)::int from notifier.notifications where kind = 'order-placed') as notes,
               (select count(distinct event_id)::int from notifier.notifications where kind = 'order-placed') as distinct`;
      return row!;
    };
    const settleStart = Date.now();
    let last = await count();
    while (
      last.notes < last.orders &&
      Date.now() - settleStart < (s.settleMs ?? Number(process.env.EVENTS_FAULT_SETTLE_MS ?? 120_000))
    ) {
      await Bun.sleep(250);
      last = await count();
    }
    // Let any straggling redelivery land: a duplicate would show up now.
    await Bun.sleep(4_000);
    last = await count();
    const settleMs = Date.now() - settleStart;
    if (last.notes !== last.orders || placedOk < s.n) {
      for (const [name, p] of [
        ["orders", orders],
        ["notifier", notifier],
      ] as const) {
        log(`${name} output (last 12 lines):\n${[...p.stdout, ...p.stderr].slice(-12).join("\n")}`);
      }
    }
    const [missing] = await sql<{ n: number }[]>`
      select count(*)::int as n from orders.orders o
      where o.status = 'placed' and not exists (select 1 from notifier.notifications n where n.data->>'orderId' = o.id::text)`;
    log(
      `orders ${last.orders}, notifications ${last.notes} (${last.distinct} distinct events), settled in ${settleMs} ms`,
    );
    return {
      placedOk,
      replayed,
      abandoned,
      ordersCommitted: last.orders,
      notifications: last.notes,
      distinctEvents: last.distinct,
      ordersWithoutNotification: missing!.n,
      placingMs,
      settleMs,
      faults,
    };
  } finally {
    stopPlacing = true;
    await chaos.catch(() => {});
    await Promise.allSettled([orders.stop("SIGKILL"), notifier.stop("SIGKILL")]);
    await catalogNc.close().catch(() => {});
    await sql.end();
  }
}
