import { type CallContext, implement } from "@shared/endpoint";
import { AppError } from "@shared/errors";
import {
  ordersAdvance,
  ordersCancel,
  ordersGet,
  ordersList,
  ordersPlace,
  toOrderDto,
  toOrderPageDto,
} from "./orders.contract.ts";
import type { Actor, RequestMeta } from "./orders.model.ts";
import type { OrdersService } from "./orders.service.ts";

/** The caller as the service layer knows it; no identity is an `unauthenticated` error. */
function actorOf(ctx: CallContext): Actor {
  if (!ctx.identity) throw new AppError("unauthenticated", "This operation needs an authenticated caller");
  return ctx.identity;
}

function metaOf(ctx: CallContext): RequestMeta {
  return ctx.traceId ? { requestId: ctx.requestId, traceId: ctx.traceId } : { requestId: ctx.requestId };
}

/** The orders endpoints: each contract bound to the service, served on HTTP and (orders.get) on the bus. */
export function makeOrdersEndpoints(orders: OrdersService) {
  return {
    place: implement(ordersPlace, async (input, ctx) =>
      toOrderDto(await orders.place(actorOf(ctx), input.lines, metaOf(ctx))),
    ),
    get: implement(ordersGet, async (input, ctx) => toOrderDto(await orders.get(actorOf(ctx), input.id))),
    list: implement(ordersList, async (input, ctx) => toOrderPageDto(await orders.list(actorOf(ctx), input))),
    cancel: implement(ordersCancel, async (input, ctx) =>
      toOrderDto(await orders.cancel(actorOf(ctx), input.id, metaOf(ctx))),
    ),
    advance: implement(ordersAdvance, async (input, ctx) =>
      toOrderDto(await orders.advance(actorOf(ctx), input.id, input.status, metaOf(ctx))),
    ),
  };
}

/** The endpoints of the orders service. */
export type OrdersEndpoints = ReturnType<typeof makeOrdersEndpoints>;
