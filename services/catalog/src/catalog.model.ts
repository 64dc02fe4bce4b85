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

/** Who is asking, as forwarded by the gateway; null for anonymous callers. */
export interface Actor {
  userId: string;
  roles: readonly string[];
}

/** One page of a keyset-paginated listing. */
export interface Page<T> {
  items: T[];
  nextCursor: string | null;
}

/** What the caller expects the current version to be (If-Match); `any` is `If-Match: *`. */
export type ExpectedVersion = { kind: "any" } | { kind: "one-of"; versions: readonly number[] };

/** What happened to a product, for the `onProductChanged` port (cache purge, issue 4). */
export interface ProductChanged {
  kind: "created" | "updated" | "deactivated";
  product: Product;
}
