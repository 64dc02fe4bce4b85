import { z } from "@hono/zod-openapi";
import { pageDto, pageQuery, toPageDto } from "@shared/contracts/page.ts";
import { defineContract } from "@shared/endpoint";
import { type Order, type OrderLine, orderLimits, orderStatuses, type Page } from "./orders.model.ts";

const uuidExample = "0190d9a4-6b1e-7c3a-9f51-2b9d3c4e5f60";
const orderId = z.uuid().openapi({ param: { name: "id", in: "path" }, example: uuidExample });
const OrderStatusDto = z.enum(orderStatuses).openapi("OrderStatus");

/** One line of an order as every transport shows it. */
export const OrderLineDto = z
  .object({
    productId: z.uuid(),
    sku: z.string(),
    name: z.string(),
    quantity: z.number().int(),
    unitPriceMinor: z.number().int().describe("catalog's price when the order was placed, minor units"),
    lineTotalMinor: z.number().int(),
  })
  .openapi("OrderLine");

/** An order as every transport shows it. */
export const OrderDto = z
  .object({
    id: z.uuid(),
    userId: z.uuid(),
    status: OrderStatusDto,
    currency: z.string().length(3),
    totalMinor: z.number().int().describe("sum of the lines, minor units"),
    lines: z.array(OrderLineDto),
    productIds: z.array(z.uuid()).describe("the lines' product ids, in line order (for composing with catalog)"),
    createdAt: z.iso.datetime(),
    updatedAt: z.iso.datetime(),
  })
  .openapi("Order");
export type OrderDto = z.infer<typeof OrderDto>;

/** One page of orders. */
export const OrderPageDto = pageDto(OrderDto, "OrderPage");

const RequestLineDto = z
  .strictObject({
    productId: z.uuid(),
    quantity: z.number().int().min(1).max(orderLimits.maxQuantity),
  })
  .openapi("OrderRequestLine");

/**
 * `orders.place`: an order for the caller; catalog prices it and holds its stock. Duplicate product ids are
 * refused, not merged.
 */
export const ordersPlace = defineContract({
  name: "orders.place",
  summary: "Place an order for the caller at catalog's current prices, holding its stock",
  input: z.strictObject({
    lines: z
      .array(RequestLineDto)
      .min(1)
      .max(orderLimits.maxLines)
      .superRefine((lines, ctx) => {
        const first = new Map<string, number>();
        lines.forEach((line, i) => {
          const seen = first.get(line.productId);
          if (seen === undefined) first.set(line.productId, i);
          else ctx.addIssue({ code: "custom", path: [i, "productId"], message: `duplicates line ${seen}` });
        });
      }),
  }),
  output: OrderDto,
  errors: ["invalid_argument", "unauthenticated", "conflict", "unavailable"],
  idempotent: false,
});

/** `orders.get`: one order with its lines (owner or admin; anyone else gets not_found). */
export const ordersGet = defineContract({
  name: "orders.get",
  summary: "Get an order (owner or admin)",
  input: z.object({ id: orderId }),
  output: OrderDto,
  errors: ["invalid_argument", "unauthenticated", "not_found"],
  idempotent: true,
});

const query = (name: string) => ({ param: { name, in: "query" as const } });

/** `orders.list`: the caller's orders newest first; admins may list one user's or everyone's. */
export const ordersList = defineContract({
  name: "orders.list",
  summary: "List orders newest first: one's own, one user's (admin) or everyone's (admin, scope=all)",
  input: z.object({
    ...pageQuery,
    userId: z.uuid().optional().openapi(query("userId")),
    scope: z.enum(["mine", "all"]).default("mine").openapi(query("scope")),
    status: OrderStatusDto.optional().openapi(query("status")),
  }),
  output: OrderPageDto,
  errors: ["invalid_argument", "unauthenticated", "permission_denied"],
  idempotent: true,
});

/** `orders.cancel`: cancels an order while it is `placed` (owner or admin), giving its stock back. */
export const ordersCancel = defineContract({
  name: "orders.cancel",
  summary: "Cancel an order while it is placed, releasing its stock (owner or admin)",
  input: z.object({ id: orderId }),
  output: OrderDto,
  errors: ["invalid_argument", "unauthenticated", "not_found", "conflict"],
  idempotent: false,
});

/** `orders.advance`: moves an order along its life (admin). */
export const ordersAdvance = defineContract({
  name: "orders.advance",
  summary: "Move an order to its next status: paid, shipped, delivered or cancelled (admin)",
  input: z.object({ id: orderId, status: z.enum(["paid", "shipped", "delivered", "cancelled"]) }),
  output: OrderDto,
  errors: ["invalid_argument", "unauthenticated", "permission_denied", "not_found", "conflict"],
  idempotent: false,
});

function toLineDto(l: OrderLine): z.infer<typeof OrderLineDto> {
  return {
    productId: l.productId,
    sku: l.sku,
    name: l.name,
    quantity: l.quantity,
    unitPriceMinor: l.unitPriceMinor,
    lineTotalMinor: l.unitPriceMinor * l.quantity,
  };
}

/** Domain -> DTO. */
export function toOrderDto(o: Order): OrderDto {
  return {
    id: o.id,
    userId: o.userId,
    status: o.status,
    currency: o.currency,
    totalMinor: o.totalMinor,
    lines: o.lines.map(toLineDto),
    productIds: o.lines.map((l) => l.productId),
    createdAt: o.createdAt.toISOString(),
    updatedAt: o.updatedAt.toISOString(),
  };
}

/** Domain page -> DTO page. */
export function toOrderPageDto(page: Page<Order>): z.infer<typeof OrderPageDto> {
  return toPageDto(page, toOrderDto);
}
