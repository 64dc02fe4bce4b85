// The caller (as the gateway forwards it) and keyset pages are the kit's, the same in every service.
export type { Actor } from "@shared/identity";
export type { Page, PageCursor } from "@shared/pagination";

/**
 * Where an order is in its life; the allowed moves are in orders.state.ts. `pending` while catalog is
 * asked to reserve its stock; `rejected` when it could not be (short of stock, catalog unreachable, or
 * placing did not finish in time).
 */
export type OrderStatus = "pending" | "placed" | "paid" | "shipped" | "delivered" | "cancelled" | "rejected";

/** Every status, in life order. */
export const orderStatuses = [
  "pending",
  "placed",
  "paid",
  "shipped",
  "delivered",
  "cancelled",
  "rejected",
] as const satisfies readonly OrderStatus[];

/** One line of an order, priced as catalog priced it when the order was placed. */
export interface OrderLine {
  productId: string;
  /** The product's sku and name at placing time, so the history reads well after the catalog changes. */
  sku: string;
  name: string;
  quantity: number;
  unitPriceMinor: number;
}

/** An order as the service layer sees it. Lines never change after placing; status does. */
export interface Order {
  id: string;
  userId: string;
  status: OrderStatus;
  currency: string;
  totalMinor: number;
  lines: OrderLine[];
  createdAt: Date;
  updatedAt: Date;
}

/** What a caller asks for: product ids and quantities (validated by the contract). */
export interface OrderRequestLine {
  productId: string;
  quantity: number;
}

/** One product and how many of it an order holds in catalog's stock. */
export interface StockLine {
  productId: string;
  quantity: number;
}

/** A product as orders needs it from catalog. */
export interface CatalogProduct {
  id: string;
  sku: string;
  name: string;
  priceMinor: number;
  currency: string;
  stock: number;
  active: boolean;
}

/** Which orders a listing shows. */
export interface OrderFilter {
  /** Only this user's orders; absent means every user's (admin). */
  userId?: string;
  status?: OrderStatus;
}

/** Correlation data a call carries to the services it calls. */
export interface RequestMeta {
  requestId: string;
  traceId?: string;
  /** False when the request's trace is not recorded. */
  sampled?: boolean;
}

/** Limits of one order: the contract validates them, the service checks them again for other callers. */
export const orderLimits = { maxLines: 100, maxQuantity: 1000 } as const;
