// What the place-order benches share: the products they order (seeded into catalog's table) and the wrk
// script placing 1-3 line orders from a pool of users.
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import postgres from "postgres";

/** Products seeded and ordered. */
export const productCount = 1000;
const userCount = 200;

/** The id of product number n (0-based). */
export function productId(n: number): string {
  return `0190d9a4-6b1e-7c3a-9f51-${n.toString(16).padStart(12, "0")}`;
}

/** Writes the wrk script placing orders of 1-3 lines for rotating users; returns its path. */
export function placeOrdersScript(): string {
  const users = Array.from(
    { length: userCount },
    (_, i) => `"0190d9a4-6b1e-7c3a-9f51-a${i.toString(16).padStart(11, "0")}"`,
  );
  const products = Array.from({ length: productCount }, (_, n) => `"${productId(n)}"`);
  const file = join(mkdtempSync(join(tmpdir(), "bench-orders-")), "place.lua");
  writeFileSync(
    file,
    `local users = {${users.join(",")}}
local products = {${products.join(",")}}
local n = 0
request = function()
  n = n + 1
  local lines = {}
  local count = (n % 3) + 1
  for i = 1, count do
    local p = products[((n * 7 + i * 131) % #products) + 1]
    lines[i] = '{"productId":"' .. p .. '","quantity":' .. ((n + i) % 5 + 1) .. '}'
  end
  local body = '{"lines":[' .. table.concat(lines, ",") .. ']}'
  local headers = { ["content-type"] = "application/json", ["x-user-id"] = users[(n % #users) + 1], ["x-user-roles"] = "user" }
  return wrk.format("POST", "/orders", headers, body)
end
`,
  );
  return file;
}

/** Inserts every product, in plenty of stock, into a migrated catalog database. */
export async function seedProducts(databaseUrl: string): Promise<void> {
  const sql = postgres(databaseUrl, { max: 1, onnotice: () => {} });
  const rows = Array.from({ length: productCount }, (_, n) => ({
    id: productId(n),
    sku: `SKU-${n}`,
    name: `Product ${n}`,
    price_minor: 100 + n,
    currency: "EUR",
    stock: 1_000_000_000,
  }));
  await sql`insert into catalog.products ${sql(rows)}`;
  await sql.end();
}

/** Places one order and throws unless it is answered 201: proves the whole path before measuring. */
export async function probeOrder(url: string): Promise<void> {
  const probe = await fetch(`${url}/orders`, {
    method: "POST",
    headers: { "content-type": "application/json", "x-user-id": productId(0), "x-user-roles": "user" },
    body: JSON.stringify({ lines: [{ productId: productId(1), quantity: 1 }] }),
  });
  if (probe.status !== 201) throw new Error(`probe order at ${url} answered ${probe.status}: ${await probe.text()}`);
}
