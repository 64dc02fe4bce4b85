// The pool against hosts that are down: a multi-host URL skips a dead first host, a query with no usable host
// fails at once as a connection loss (answered `unavailable`), and readiness follows the only host going away
// and coming back. The host that dies is a loopback proxy in front of the test server, closed and reopened.
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import type { Socket, TCPSocketListener } from "bun";
import { Hono } from "hono";
import { isConnectionLoss } from "../errors/connection.ts";
import { mountHealth } from "../health/index.ts";
import { createTestDatabase, type TestDatabase } from "../testing/db.ts";
import { createDatabase, type Database } from "./database.ts";
import { freePort } from "./embedded.ts";
import { toAppError } from "./errors.ts";

const pool = { max: 2, idleTimeoutSec: 0, connectTimeoutSec: 2 };

/** A TCP proxy to the test server that can be taken down (closing every connection) and brought back on its port. */
async function proxyTo(target: URL) {
  const port = await freePort();
  const open = new Set<Socket<{ peer?: Socket<unknown>; queue: Uint8Array[] }>>();
  let listener: TCPSocketListener<{ peer?: Socket<unknown>; queue: Uint8Array[] }> | undefined;
  const up = () => {
    listener = Bun.listen<{ peer?: Socket<unknown>; queue: Uint8Array[] }>({
      hostname: "127.0.0.1",
      port,
      socket: {
        open(client) {
          client.data = { queue: [] };
          open.add(client);
          void Bun.connect({
            hostname: target.hostname,
            port: Number(target.port || 5432),
            socket: {
              open(server) {
                client.data.peer = server;
                for (const chunk of client.data.queue) server.write(chunk);
              },
              data: (_server, chunk) => void client.write(chunk),
              close: () => void client.end(),
              error: () => void client.end(),
            },
          }).catch(() => client.end());
        },
        data(client, chunk) {
          if (client.data.peer) client.data.peer.write(chunk);
          else client.data.queue.push(new Uint8Array(chunk));
        },
        close(client) {
          open.delete(client);
          client.data.peer?.end();
        },
      },
    });
  };
  up();
  return {
    port,
    down() {
      listener?.stop(true);
      for (const client of open) client.terminate();
      open.clear();
    },
    up,
  };
}

describe("a database pool whose hosts go away", () => {
  let tdb: TestDatabase;
  let target: URL;
  const opened: Database[] = [];
  const open = (url: string) => {
    const database = createDatabase({ url, schema: "public", pool });
    opened.push(database);
    return database;
  };
  /** The test database's URL with `hosts` instead of its own. */
  const urlWith = (hosts: string) => {
    const base = new URL(tdb.url);
    return `postgres://${base.username}${base.password ? `:${base.password}` : ""}@${hosts}${base.pathname}?target_session_attrs=read-write`;
  };

  beforeAll(async () => {
    tdb = await createTestDatabase({ prefix: "db_failover" });
    target = new URL(tdb.url);
  });
  afterAll(async () => {
    for (const database of opened) await database.close(0).catch(() => {});
    await tdb?.drop();
  });

  test("a URL whose first host is down connects to the second", async () => {
    const dead = await freePort();
    const database = open(urlWith(`127.0.0.1:${dead},${target.hostname}:${target.port || 5432}`));
    const [row] = await database.sql<{ ok: number }[]>`select 1 as ok`;
    expect(row?.ok).toBe(1);
  });

  test("with no host answering a query fails at once as a connection loss, which answers unavailable", async () => {
    const [a, b] = [await freePort(), await freePort()];
    const database = open(urlWith(`127.0.0.1:${a},127.0.0.1:${b}`));
    const started = performance.now();
    const err = await database.sql`select 1`.then(
      () => null,
      (e: unknown) => e,
    );
    expect(performance.now() - started).toBeLessThan(1_000);
    expect(isConnectionLoss(err)).toBe(true);
    expect(toAppError(err)?.code).toBe("unavailable");
  });

  test("readiness turns not-ready when the only host dies and ready again when it is back", async () => {
    const proxy = await proxyTo(target);
    const database = open(urlWith(`127.0.0.1:${proxy.port}`));
    const app = new Hono();
    mountHealth(app, { checks: { database: () => database.ping() }, timeoutMs: 3_000 });
    const ready = async () => (await app.request("/readyz")).status;
    try {
      expect(await ready()).toBe(200);
      proxy.down();
      const downAt = performance.now();
      expect(await ready()).toBe(503);
      // Failing, not hanging: well inside the readiness timeout.
      expect(performance.now() - downAt).toBeLessThan(2_000);
      proxy.up();
      const until = performance.now() + 5_000;
      let status = await ready();
      while (status !== 200 && performance.now() < until) {
        await Bun.sleep(50);
        status = await ready();
      }
      expect(status).toBe(200);
    } finally {
      proxy.down();
    }
  });
});
