// What the fault scenarios share: N orders placed over HTTP by concurrent clients, each placement retried with
// its own Idempotency-Key until some orders instance answers it (round-robin over the instances given, so a
// dead one only costs a retry), the environment the binaries run with under faults, and the count of
// committed orders against the notifier's order-placed notifications once the notifier has caught up.

import type postgres from "postgres";

const users = Array.from(
  { length: 20 },
  (_, i) => `0190d9a4-6b1e-7c3a-9f51-${(0xa000 + i).toString(16).padStart(12, "0")}`,
);

/** Orders settings for faults: a short breaker, so placing resumes soon after NATS is back. */
export const ordersFaultEnv = {
  ORDERS_CATALOG_BREAKER_OPEN_MS: "200",
  ORDERS_CATALOG_TIMEOUT_MS: "1000",
  ORDERS_DB_POOL_MAX: "12",
};

/** Notifier settings for faults: unacked messages of a killed notifier come back after 3 s, not 30 s. */
export const notifierFaultEnv = {
  NOTIFIER_CONSUMER_ACK_WAIT_MS: "3000",
  NOTIFIER_CONSUMER_RETRY_MS: "200",
  NOTIFIER_CONSUMER_CONCURRENCY: "32",
};

/** How many placements went how. */
export interface PlacingStats {
  /** Placements answered 201 (each with its own Idempotency-Key, however many attempts it took). */
  placedOk: number;
  /** Placements whose 201 came from a replay: an earlier attempt had committed but its answer was lost. */
  replayed: number;
  /** Placements given up on before an answer (none expected: their order may or may not exist). */
  abandoned: number;
  failedAttempts: number;
  /** The order id each accepted placement was answered with. */
  orderIds: string[];
}

/** Placing under way: `at(count)` waits until that many were accepted; `done` resolves once placing ends. */
export interface Placing {
  stats: PlacingStats;
  at(count: number): Promise<void>;
  readonly stopped: boolean;
  /** Stops starting placements; those under way are still seen through (up to 60 s). */
  stop(): void;
  done: Promise<void>;
}

/**
 * Places orders until `n` were accepted or `placeMs` passed, with `clients` concurrent clients. `urls()` is
 * asked at every attempt, so instances may come and go; attempts take its entries in turn.
 */
export function startPlacing(options: {
  n: number;
  urls: () => readonly string[];
  productId: string;
  clients?: number;
  placeMs: number;
  log: (line: string) => void;
}): Placing {
  const stats: PlacingStats = { placedOk: 0, replayed: 0, abandoned: 0, failedAttempts: 0, orderIds: [] };
  let stopped = false;
  let turn = 0;
  const nextUrl = () => {
    const urls = options.urls();
    return urls[turn++ % urls.length]!;
  };

  // One placement: a fresh Idempotency-Key, retried with that same key until an instance answers it. An attempt
  // whose answer a kill cut off may have committed; its retry then gets that order back instead of a second.
  const placeOne = async (i: number) => {
    const key = crypto.randomUUID();
    const body = JSON.stringify({ lines: [{ productId: options.productId, quantity: 1 + (i % 3) }] });
    // A placement under way is seen through even after placing stops, so no committed order goes uncounted.
    const giveUpAt = Date.now() + 60_000;
    for (;;) {
      if (stopped && Date.now() > giveUpAt) {
        stats.abandoned++;
        return;
      }
      try {
        const res = await fetch(`${nextUrl()}/orders`, {
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
        const text = await res.text();
        if (res.status === 201) {
          stats.placedOk++;
          stats.orderIds.push((JSON.parse(text) as { id: string }).id);
          if (res.headers.get("idempotent-replayed") === "true") stats.replayed++;
          return;
        }
        stats.failedAttempts++; // 503 while catalog or NATS is away, 409 while an earlier attempt still runs
      } catch {
        stats.failedAttempts++; // the instance is down (killed) or the answer was cut off
      }
      await Bun.sleep(20);
    }
  };
  const client = async (i: number) => {
    while (!stopped && stats.placedOk < options.n) await placeOne(i);
  };
  const deadline = setTimeout(() => {
    stopped = true;
    options.log(`placing stopped by its deadline at ${stats.placedOk}`);
  }, options.placeMs);
  const done = Promise.all(Array.from({ length: options.clients ?? 16 }, (_, i) => client(i))).then(() => {
    clearTimeout(deadline);
  });
  return {
    stats,
    get stopped() {
      return stopped;
    },
    async at(count) {
      while (stats.placedOk < count && !stopped) await Bun.sleep(10);
    },
    stop() {
      stopped = true;
      clearTimeout(deadline);
    },
    done,
  };
}

/** Committed orders against the notifier's order-placed notifications. */
export interface NotifiedCounts {
  /** Orders committed as placed (a placement cut off by a fault stays pending or is rejected). */
  orders: number;
  notifications: number;
  distinctEvents: number;
  ordersWithoutNotification: number;
  settleMs: number;
}

/**
 * Waits (up to `settleMs`) until the notifier holds a notification per placed order, then a little longer so
 * a straggling redelivery would show as a duplicate, and counts.
 */
export async function settleNotifications(sql: postgres.Sql, settleMs: number): Promise<NotifiedCounts> {
  const count = async () => {
    const [row] = await sql<{ orders: number; notes: number; distinct: number }[]>`
      select (select count(*)::int from orders.orders where status = 'placed') as orders,
             (select count(*)::int from notifier.notifications where kind = 'order-placed') as notes,
             (select count(distinct event_id)::int from notifier.notifications where kind = 'order-placed') as distinct`;
    return row!;
  };
  const started = Date.now();
  let last = await count();
  while (last.notes < last.orders && Date.now() - started < settleMs) {
    await Bun.sleep(250);
    last = await count();
  }
  await Bun.sleep(4_000);
  last = await count();
  const [missing] = await sql<{ n: number }[]>`
    select count(*)::int as n from orders.orders o
    where o.status = 'placed' and not exists (select 1 from notifier.notifications n where n.data->>'orderId' = o.id::text)`;
  return {
    orders: last.orders,
    notifications: last.notes,
    distinctEvents: last.distinct,
    ordersWithoutNotification: missing!.n,
    settleMs: Date.now() - started,
  };
}

/** The placed orders' ids, to hold against the ids the placements were answered with. */
export async function placedOrderIds(sql: postgres.Sql): Promise<Set<string>> {
  const rows = await sql<{ id: string }[]>`select id::text as id from orders.orders where status = 'placed'`;
  return new Set(rows.map((r) => r.id));
}
