import type { Tracer } from "@opentelemetry/api";
import { type CatalogProductDto, catalogProductsGet } from "@shared/contracts/catalog.ts";
import { type Breaker, createBreaker, createClient, type RequestTransport } from "@shared/endpoint";
import { AppError } from "@shared/errors";
import type { CatalogProduct, RequestMeta } from "./orders.model.ts";
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
 * The orders service's CatalogClient over the `catalog.products.get` contract: a typed client with a time
 * budget, retries (the call is an idempotent read) and a circuit breaker. Anything but a product list
 * becomes `unavailable`: a catalog that refuses our well-formed request is as useless to a buyer as one
 * that is down, and the details stay in the log, not in the buyer's answer.
 * @example const catalog = catalogClient({ transport: bus.transport, ...config.catalog });
 */
export function catalogClient(options: CatalogClientOptions): CatalogClient {
  const breaker = "allow" in options.breaker ? options.breaker : createBreaker(options.breaker);
  const client = createClient(catalogProductsGet, {
    transport: options.transport,
    timeoutMs: options.timeoutMs,
    retries: options.retries,
    breaker,
    tracer: options.tracer,
  });
  return {
    async getProducts(ids: readonly string[], meta: RequestMeta) {
      try {
        const answer = await client.call({ ids: [...ids] }, { identity: null, ...meta });
        return { products: answer.products.map(toCatalogProduct), missing: answer.missing };
      } catch (err) {
        const reason = err instanceof AppError ? `${err.code}: ${err.message}` : String(err);
        throw new AppError("unavailable", "The catalog cannot price this order right now; try again shortly", {
          cause: new Error(`catalog.products.get failed (${reason})`, { cause: err }),
        });
      }
    },
  };
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
