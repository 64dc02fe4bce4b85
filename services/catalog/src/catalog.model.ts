// The caller (as the gateway forwards it) and keyset pages are the kit's, the same in every service.
export type { Actor } from "@shared/identity";
export type { Page } from "@shared/pagination";

/** A product as the service layer sees it. Prices are integers in the currency's minor unit. */
export interface Product {
  id: string;
  sku: string;
  name: string;
  description: string;
  priceMinor: number;
  currency: string;
  stock: number;
  active: boolean;
  /** Starts at 1, +1 on every change; the ETag and If-Match token. */
  version: number;
  createdAt: Date;
  updatedAt: Date;
}

/** What creating a product needs. */
export interface NewProduct {
  sku: string;
  name: string;
  description?: string;
  priceMinor: number;
  currency: string;
  stock?: number;
  active?: boolean;
}

/** A partial update of a product; absent fields stay as they are. */
export interface ProductChanges {
  sku?: string;
  name?: string;
  description?: string;
  priceMinor?: number;
  currency?: string;
  stock?: number;
  active?: boolean;
}

/** Filters of a product listing; all optional and combined with AND. */
export interface ProductFilter {
  /** Only these products (the gateway fills an order's product ids in here). */
  ids?: readonly string[];
  /** Case-insensitive substring of the name or the sku. */
  q?: string;
  active?: boolean;
  /** Inclusive bounds on priceMinor. */
  minPrice?: number;
  maxPrice?: number;
  currency?: string;
}

/** What the caller expects the current version to be (If-Match); `any` is `If-Match: *`. */
export type ExpectedVersion = { kind: "any" } | { kind: "one-of"; versions: readonly number[] };

/** What happened to a product, for the `onProductChanged` port (the cache purge event). */
export interface ProductChanged {
  kind: "created" | "updated" | "deactivated";
  product: Product;
}

/** One product and how many of it an order holds. */
export interface StockLine {
  productId: string;
  quantity: number;
}

/** The stock an order holds (`held`), or gave back (`released`; no lines when it never held any). */
export interface StockReservation {
  orderId: string;
  status: "held" | "released";
  lines: StockLine[];
}

/**
 * What reserving found: the lines are held now (`changed` lists the products whose stock moved; empty when
 * the order already held them), the order was released before (a late reserve never takes stock), or
 * some line cannot be held (nothing was taken; `products` are the requested ones as they stand).
 */
export type ReserveOutcome =
  | { kind: "held"; reservation: StockReservation; changed: Product[] }
  | { kind: "released"; reservation: StockReservation }
  | { kind: "short"; products: Product[] };

/** What releasing did: the reservation as it stands now and the products whose stock came back. */
export interface ReleaseOutcome {
  reservation: StockReservation;
  changed: Product[];
}
