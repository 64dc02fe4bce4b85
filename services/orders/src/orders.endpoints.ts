import { type CallContext, implement } from "@shared/endpoint";
import { requireCaller } from "@shared/identity";
import {
  ordersAdvance,
  ordersCancel,
  ordersGet,
  ordersList,
  ordersPlace,
  toOrderDto,
  toOrderPageDto,
} from "./orders.contract.ts";
import type { RequestMeta } from "./orders.model.ts";
import type { OrdersService } from "./orders.service.ts";

function metaOf(ctx: CallContext): RequestMeta {
  if (!ctx.traceId) return { requestId: ctx.requestId };
  return ctx.sampled === false
    ? { requestId: ctx.requestId, traceId: ctx.traceId, sampled: false }
    : { requestId: ctx.requestId, traceId: ctx.traceId };
}

/** The orders endpoints: each contract bound to the service, served on HTTP and (orders.get) on the bus. */
export function makeOrdersEndpoints(orders: OrdersService) {
  return {
    place: implement(ordersPlace, async (input, ctx) =>
      toOrderDto(await orders.place(requireCaller(ctx), input.lines, metaOf(ctx))),
    ),
    get: implement(ordersGet, async (input, ctx) => toOrderDto(await orders.get(requireCaller(ctx), input.id))),
    list: implement(ordersList, async (input, ctx) => toOrderPageDto(await orders.list(requireCaller(ctx), input))),
    cancel: implement(ordersCancel, async (input, ctx) =>
      toOrderDto(await orders.cancel(requireCaller(ctx), input.id, metaOf(ctx))),
    ),
    advance: implement(ordersAdvance, async (input, ctx) =>
      toOrderDto(await orders.advance(requireCaller(ctx), input.id, input.status, metaOf(ctx))),
    ),
  };
}

/** The endpoints of the orders service. */
export type OrdersEndpoints = ReturnType<typeof makeOrdersEndpoints>;
