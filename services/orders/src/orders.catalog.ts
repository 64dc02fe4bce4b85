import type { Tracer } from "@opentelemetry/api";
import {
  type CatalogProductDto,
  catalogProductsGet,
  catalogStockHeld,
  catalogStockKeep,
  catalogStockRelease,
  catalogStockReserve,
} from "@shared/contracts/catalog.ts";
import { type Breaker, createBreaker, createClient, type RequestTransport } from "@shared/endpoint";
import { AppError } from "@shared/errors";
import { grpcServiceSchemaOf, grpcTransport } from "@shared/grpc";
import catalogProto from "../../../proto/shop/catalog/v1/catalog.proto" with { type: "text" };
import type { CatalogProduct, RequestMeta, StockLine } from "./orders.model.ts";
import type { CatalogClient } from "./orders.service.ts";

/** How the adapter calls catalog; the values come from the `catalog` config section. */
export interface CatalogClientOptions {
  transport: RequestTransport;
  timeoutMs: number;
  retries: number;
  breaker: { failureThreshold: number; openMs: number } | Breaker;
  /** Traces each call when given. */
  tracer?: Tracer | null;
}

/**
 * The orders service's CatalogClient over catalog's bus contracts (`catalog.products.get`,
 * `catalog.stock.reserve`, `catalog.stock.release`, `catalog.stock.held`, `catalog.stock.keep`): typed clients sharing one time
 * budget per call, retries (all are idempotent; the reservation pair by order id) and one circuit breaker. A
 * reservation refused (`conflict`) comes through with its fields; anything else becomes `unavailable`:
 * a catalog that refuses our well-formed request is as useless to a buyer as one that is down, and the
 * details stay in the log, not in the buyer's answer.
 * @example const catalog = catalogClient({ transport: bus.transport, ...config.catalog });
 */
export function catalogClient(options: CatalogClientOptions): CatalogClient {
  const breaker = "allow" in options.breaker ? options.breaker : createBreaker(options.breaker);
  const settings = {
    transport: options.transport,
    timeoutMs: options.timeoutMs,
    retries: options.retries,
    breaker,
    tracer: options.tracer,
  };
  const products = createClient(catalogProductsGet, settings);
  const reserve = createClient(catalogStockReserve, settings);
  const release = createClient(catalogStockRelease, settings);
  const held = createClient(catalogStockHeld, settings);
  const keep = createClient(catalogStockKeep, settings);
  return {
    async getProducts(ids: readonly string[], meta: RequestMeta) {
      try {
        const answer = await products.call({ ids: [...ids] }, { identity: null, ...meta });
        return { products: answer.products.map(toCatalogProduct), missing: answer.missing };
      } catch (err) {
        throw unavailable(products.contract.name, "The catalog cannot price this order right now", err);
      }
    },
    async reserve(orderId: string, lines: readonly StockLine[], meta: RequestMeta) {
      try {
        await reserve.call({ orderId, lines: lines.map((l) => ({ ...l })) }, { identity: null, ...meta });
      } catch (err) {
        if (err instanceof AppError && err.code === "conflict") throw err;
        throw unavailable(reserve.contract.name, "The catalog cannot reserve this order's stock right now", err);
      }
    },
    async release(orderId: string, meta: RequestMeta) {
      try {
        await release.call({ orderId }, { identity: null, ...meta });
      } catch (err) {
        throw unavailable(release.contract.name, "The catalog cannot release this order's stock right now", err);
      }
    },
    async held(olderThanMs: number, after: string | null, limit: number, meta: RequestMeta) {
      const input = { olderThanMs, limit, ...(after === null ? {} : { after }) };
      try {
        return (await held.call(input, { identity: null, ...meta })).orderIds;
      } catch (err) {
        throw unavailable(held.contract.name, "The catalog cannot list held stock right now", err);
      }
    },
    async keep(orderIds: readonly string[], meta: RequestMeta) {
      try {
        await keep.call({ orderIds: [...orderIds] }, { identity: null, ...meta });
      } catch (err) {
        throw unavailable(keep.contract.name, "The catalog cannot mark stock kept right now", err);
      }
    },
  };
}

/** The catalog contracts orders calls. */
const catalogContracts = [
  catalogProductsGet,
  catalogStockReserve,
  catalogStockRelease,
  catalogStockHeld,
  catalogStockKeep,
] as const;

/**
 * The transport orders reaches catalog by, as configured: the request bus (NATS or in-process), or
 * catalog's gRPC listener at `grpcUrl` with catalog's generated proto (embedded). `close` ends the gRPC
 * channel; the bus belongs to the runtime.
 */
export function catalogTransportOf(
  config: { transport: "nats" | "grpc"; grpcUrl?: string },
  bus: RequestTransport,
): { transport: RequestTransport; stop(): Promise<void> } {
  if (config.transport === "nats" || config.grpcUrl === undefined) return { transport: bus, stop: async () => {} };
  const transport = grpcTransport({
    address: config.grpcUrl,
    schema: grpcServiceSchemaOf("catalog", catalogContracts, catalogProto),
  });
  return { transport, stop: async () => transport.close() };
}

/** The buyer's `unavailable`, with what catalog said kept as the cause for the log. */
function unavailable(call: string, what: string, err: unknown): AppError {
  const reason = err instanceof AppError ? `${err.code}: ${err.message}` : String(err);
  return new AppError("unavailable", `${what}; try again shortly`, {
    cause: new Error(`${call} failed (${reason})`, { cause: err }),
  });
}

/** Catalog's DTO -> what orders keeps of a product. */
function toCatalogProduct(p: CatalogProductDto): CatalogProduct {
  return {
    id: p.id,
    sku: p.sku,
    name: p.name,
    priceMinor: p.priceMinor,
    currency: p.currency,
    stock: p.stock,
    active: p.active,
  };
}
