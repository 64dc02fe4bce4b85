import { expect, test } from "bun:test";
import { createDatabase, inTransaction } from "@shared/db";
import { embedMigrations } from "@shared/db/migrations.macro.ts" with { type: "macro" };
import { useMigratedDatabase } from "@shared/testing";
import { catalogRepoContract, order, productId } from "./catalog.repo.contract.ts";
import { PgCatalogRepo } from "./catalog.repo.ts";

const db = useMigratedDatabase({
  schema: "catalog",
  migrations: embedMigrations("drizzle/catalog"),
  prefix: "catalog_repo",
  truncate: ["catalog.products", "catalog.stock_reservations"],
});

catalogRepoContract("the PostgreSQL catalog repository", async () => new PgCatalogRepo(db.database));

test("the table itself refuses a negative price or stock and a malformed currency", async () => {
  const insert = (price: number, stock: number, currency: string) =>
    db.database.sql`insert into catalog.products (id, sku, name, price_minor, currency, stock)
      values (${productId(1)}, 'X', 'X', ${price}, ${currency}, ${stock})`;
  for (const [price, stock, currency] of [
    [-1, 0, "EUR"],
    [0, -1, "EUR"],
    [0, 0, "eur"],
  ] as const) {
    expect(insert(price, stock, currency)).rejects.toThrow(/check constraint/);
  }
  const [row] = await db.database.sql`select count(*)::int as n from catalog.products`;
  expect(row!.n).toBe(0);
});

test("getMany reads any number of ids through one prepared statement", async () => {
  // One connection, so the session that prepared the statement is the one asked about it.
  const single = createDatabase({
    url: db.url,
    schema: "catalog",
    pool: { max: 1, idleTimeoutSec: 5, connectTimeoutSec: 5 },
  });
  try {
    const repo = new PgCatalogRepo(single);
    for (const n of [1, 2, 3]) {
      await repo.create({ id: productId(n), sku: `S${n}`, name: "n", priceMinor: 1, currency: "EUR" });
    }
    expect((await repo.getMany([productId(1), productId(3), productId(7)])).length).toBe(2);
    expect((await repo.getMany([productId(2)])).length).toBe(1);
    const prepared =
      await single.sql`select statement from pg_prepared_statements where statement like '%catalog%products%'`;
    // postgres.js names the statements itself; what matters is one statement for both id counts.
    const batch = prepared.filter((r) => String(r.statement).includes("= any($1::uuid[])"));
    expect(batch.length).toBe(1);
  } finally {
    await single.close();
  }
});

test("reads inside a caller's transaction see its uncommitted rows", async () => {
  const repo = new PgCatalogRepo(db.database);
  await inTransaction(db.database, async () => {
    await repo.create({ id: productId(5), sku: "TX-5", name: "n", priceMinor: 1, currency: "EUR" });
    expect((await repo.get(productId(5)))?.sku).toBe("TX-5");
    expect((await repo.getMany([productId(5), productId(6)])).map((p) => p.id)).toEqual([productId(5)]);
  });
});

test("a database that cannot be reached is unavailable, not an internal error", async () => {
  const down = createDatabase({
    url: "postgres://postgres@127.0.0.1:1/none",
    schema: "catalog",
    pool: { max: 1, idleTimeoutSec: 1, connectTimeoutSec: 1 },
  });
  try {
    const repo = new PgCatalogRepo(down);
    for (const read of [
      () => repo.getMany([productId(1)]),
      () => repo.get(productId(1)),
      () => repo.list({}, null, 1),
    ]) {
      const err = await read().then(
        () => null,
        (e: unknown) => e,
      );
      expect((err as { code?: string }).code).toBe("unavailable");
    }
  } finally {
    await down.close();
  }
});

test("50 concurrent reservations for 5 in stock: exactly 5 are held and the stock ends at 0", async () => {
  const repo = new PgCatalogRepo(db.database);
  await repo.create({ id: productId(1), sku: "RACE", name: "n", priceMinor: 1, currency: "EUR", stock: 5 });
  const outcomes = await Promise.all(
    Array.from({ length: 50 }, (_, i) => repo.reserve(order(100 + i), [{ productId: productId(1), quantity: 1 }])),
  );
  expect(outcomes.filter((o) => o.kind === "held").length).toBe(5);
  expect(outcomes.filter((o) => o.kind === "short").length).toBe(45);
  expect((await repo.get(productId(1)))?.stock).toBe(0);
  const [held] = await db.database.sql`select count(*)::int as n from catalog.stock_reservations where status = 'held'`;
  expect(held!.n).toBe(5);
});

test("concurrent retries and releases of one order hold and give back its stock exactly once", async () => {
  const repo = new PgCatalogRepo(db.database);
  await repo.create({ id: productId(2), sku: "ONCE", name: "n", priceMinor: 1, currency: "EUR", stock: 10 });
  const line = [{ productId: productId(2), quantity: 3 }];
  await Promise.all(Array.from({ length: 10 }, () => repo.reserve(order(200), line)));
  expect((await repo.get(productId(2)))?.stock).toBe(7);
  await Promise.all(Array.from({ length: 10 }, () => repo.release(order(200))));
  expect((await repo.get(productId(2)))?.stock).toBe(10);
  // A release racing a reserve of the same order: whichever commits first, no stock is left held.
  const raced = await Promise.all([repo.reserve(order(201), line), repo.release(order(201))]);
  expect(raced[1].reservation.status).toBe("released");
  expect((await repo.get(productId(2)))?.stock).toBe(10);
});
