import { type CallContext, implement } from "@shared/endpoint";
import { AppError } from "@shared/errors";
import { notificationsList, notificationsRead, toNotificationDto, toNotificationPageDto } from "./notifier.contract.ts";
import type { Actor } from "./notifier.model.ts";
import type { NotifierService } from "./notifier.service.ts";

/** The caller as the service layer knows it; no identity is an `unauthenticated` error. */
function actorOf(ctx: CallContext): Actor {
  if (!ctx.identity) throw new AppError("unauthenticated", "This operation needs an authenticated caller");
  return ctx.identity;
}

/** The notifier endpoints: each contract bound to the service. */
export function makeNotifierEndpoints(notifier: NotifierService) {
  return {
    list: implement(notificationsList, async (input, ctx) =>
      toNotificationPageDto(
        await notifier.list(actorOf(ctx), {
          cursor: input.cursor,
          limit: input.limit,
          unread: input.unread === "true",
        }),
      ),
    ),
    read: implement(notificationsRead, async (input, ctx) =>
      toNotificationDto(await notifier.markRead(actorOf(ctx), input.id)),
    ),
  };
}

/** The endpoints of the notifier service. */
export type NotifierEndpoints = ReturnType<typeof makeNotifierEndpoints>;
