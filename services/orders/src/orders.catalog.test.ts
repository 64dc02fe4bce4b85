import { afterEach, describe, expect, test } from "bun:test";
import { catalogProductsGet } from "@shared/contracts/catalog.ts";
import { createBreaker, type Endpoint, implement, LocalBus, type RequestTransport } from "@shared/endpoint";
import { AppError } from "@shared/errors";
import { type GrpcServer, serveGrpc } from "@shared/grpc";
import { freePort } from "@shared/testing/binary.ts";
import { catalogStandIn } from "@shared/testing/catalog-standin.ts";
import { errorCodeOf } from "@shared/testing/errors.ts";
import { catalogClient, catalogTransportOf } from "./orders.catalog.ts";

const mug = "0190d9a4-6b1e-7c3a-9f51-00000000f001";
const unknown = "0190d9a4-6b1e-7c3a-9f51-00000000ffff";
const meta = { requestId: "r-1" };

type CatalogAnswer = (input: { ids: string[] }) => Promise<unknown>;

/** Where the adapter's catalog is served: a transport the client holds from the start, and `serve` to put endpoints behind it. */
interface CatalogLine {
  transport: RequestTransport;
  serve(endpoints: Endpoint[]): Promise<void>;
  /** Waits until a client that failed to reach catalog finds it again once served. */
  recovered(): Promise<void>;
}

const cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

/** The two transports orders may call catalog by: the request bus (in-process here, NATS in production), and gRPC. */
const lines: Record<string, () => Promise<CatalogLine>> = {
  "the request bus": async () => {
    const bus = new LocalBus();
    return { transport: bus, serve: async (endpoints) => bus.serve(endpoints), recovered: async () => {} };
  },
  gRPC: async () => {
    const port = await freePort();
    const { transport, stop } = catalogTransportOf({ transport: "grpc", grpcUrl: `127.0.0.1:${port}` }, new LocalBus());
    cleanups.push(stop);
    return {
      transport,
      async serve(endpoints) {
        const { grpcServiceSchemaOf } = await import("@shared/grpc");
        const { default: proto } = await import("../../../proto/shop/catalog/v1/catalog.proto", {
          with: { type: "text" },
        });
        const server: GrpcServer = await serveGrpc({
          host: "127.0.0.1",
          port,
          schema: grpcServiceSchemaOf("catalog", endpoints, proto),
          endpoints,
          maxMessageBytes: 1 << 20,
          defaultTimeoutMs: 5000,
          identity: null,
          readiness: { checks: {} },
          logger: { info() {}, error() {} },
        });
        cleanups.push(() => server.stop(100));
      },
      // the client's channel finds a server that came back after its reconnect backoff (at most 1 s)
      recovered: () => Bun.sleep(1100),
    };
  },
};

/** Serves a stand-in `catalog.products.get`; the answer may break the contract on purpose. */
async function catalogOn(line: CatalogLine, answer: CatalogAnswer) {
  const calls = { n: 0 };
  await line.serve([
    implement(catalogProductsGet, (input) => {
      calls.n++;
      return answer(input) as never;
    }),
  ]);
  return calls;
}

describe.each(Object.keys(lines))("the catalog adapter over %s", (name) => {
  const open = lines[name]!;
  test("returns catalog's products and missing ids through the contract", async () => {
    const line = await open();
    await catalogOn(line, async ({ ids }) => ({
      products: [{ id: mug, sku: "MUG", name: "Mug", priceMinor: 1250, currency: "EUR", stock: 3, active: true }],
      missing: ids.filter((id) => id !== mug),
    }));
    const client = catalogClient({
      transport: line.transport,
      timeoutMs: 300,
      retries: 0,
      breaker: { failureThreshold: 3, openMs: 1000 },
    });
    expect(await client.getProducts([mug, unknown], meta)).toEqual({
      products: [{ id: mug, sku: "MUG", name: "Mug", priceMinor: 1250, currency: "EUR", stock: 3, active: true }],
      missing: [unknown],
    });
  });

  test("turns a catalog error, a malformed answer or a timeout into unavailable", async () => {
    const answers: CatalogAnswer[] = [
      async () => {
        throw new AppError("invalid_argument", "no");
      },
      async () => ({ products: [{ id: mug }], missing: [] }),
      async () => {
        await Bun.sleep(500);
        return { products: [], missing: [] };
      },
    ];
    for (const answer of answers) {
      const line = await open();
      await catalogOn(line, answer);
      const client = catalogClient({
        transport: line.transport,
        timeoutMs: 100,
        retries: 0,
        breaker: { failureThreshold: 9, openMs: 1 },
      });
      const started = performance.now();
      expect(await errorCodeOf(client.getProducts([mug], meta))).toBe("unavailable");
      expect(performance.now() - started).toBeLessThan(300);
    }
  });

  test("retries an outage within its budget, then its breaker stops asking until the pause is over", async () => {
    let now = 0;
    const line = await open();
    const client = catalogClient({
      transport: line.transport,
      timeoutMs: 300,
      retries: 1,
      breaker: createBreaker({ failureThreshold: 2, openMs: 1000, now: () => now }),
    });
    expect(await errorCodeOf(client.getProducts([mug], meta))).toBe("unavailable");
    const calls = await catalogOn(line, async () => ({ products: [], missing: [mug] }));
    await line.recovered();
    expect(await errorCodeOf(client.getProducts([mug], meta))).toBe("unavailable");
    expect(calls.n).toBe(0);
    now += 1000;
    expect(await client.getProducts([mug], meta)).toEqual({ products: [], missing: [mug] });
    expect(calls.n).toBe(1);
  });

  test("lists the orders catalog has held stock for long enough, page by page, leaving out kept ones", async () => {
    const line = await open();
    const standIn = catalogStandIn([
      { id: mug, sku: "MUG", name: "Mug", priceMinor: 1250, currency: "EUR", stock: 9, active: true },
    ]);
    await line.serve(standIn.endpoints);
    const client = catalogClient({
      transport: line.transport,
      timeoutMs: 300,
      retries: 0,
      breaker: { failureThreshold: 3, openMs: 1000 },
    });
    const order = (n: number) => `0190d9a4-6b1e-7c3a-9f51-${(0xe000 + n).toString(16).padStart(12, "0")}`;
    for (const n of [3, 1, 2]) await client.reserve(order(n), [{ productId: mug, quantity: 1 }], meta);
    await client.release(order(2), meta);
    await Bun.sleep(5);
    expect(await client.held(0, null, 1, meta)).toEqual([order(1)]);
    expect(await client.held(0, order(1), 5, meta)).toEqual([order(3)]);
    expect(await client.held(60_000, null, 5, meta)).toEqual([]);
    await client.keep([order(3)], meta);
    expect(await client.held(0, null, 5, meta)).toEqual([order(1)]);
  });
});
