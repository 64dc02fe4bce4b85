// The catalog stand-in of the place-order benchmark: serves catalog's bus contracts (prices, stock
// reservations) over NATS from an in-memory table of products whose ids are derived from their number (see productId), so the load
// script can name them without a handshake. Usage: NATS_URL=... bun bench/orders/catalog-standin.ts [count]
import { connect } from "@nats-io/transport-node";
import type { CatalogProductDto } from "@shared/contracts/catalog.ts";
import { serveOverNats } from "@shared/endpoint";
import { catalogStandIn } from "@shared/testing/catalog-standin.ts";

/** The id of product number n (0-based). */
export function productId(n: number): string {
  return `0190d9a4-6b1e-7c3a-9f51-${n.toString(16).padStart(12, "0")}`;
}

if (import.meta.main) {
  const count = Number(process.argv[2] ?? 1000);
  const products = new Map<string, CatalogProductDto>();
  for (let n = 0; n < count; n++) {
    const id = productId(n);
    products.set(id, {
      id,
      sku: `SKU-${n}`,
      name: `Product ${n}`,
      priceMinor: 100 + n,
      currency: "EUR",
      stock: 1_000_000,
      active: true,
    });
  }
  const nc = await connect({ servers: process.env.NATS_URL, name: "catalog-standin" });
  const served = await serveOverNats({
    nc,
    service: { name: "catalog", version: "0.0.0-bench" },
    endpoints: catalogStandIn([...products.values()]).endpoints,
    logger: console,
  });
  console.log(`catalog stand-in: ${count} products`);
  process.on("SIGTERM", async () => {
    await served.stop();
    await nc.drain();
    process.exit(0);
  });
}
