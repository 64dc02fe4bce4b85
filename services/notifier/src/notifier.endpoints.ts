import { implement } from "@shared/endpoint";
import { requireCaller } from "@shared/identity";
import { notificationsList, notificationsRead, toNotificationDto, toNotificationPageDto } from "./notifier.contract.ts";
import type { NotifierService } from "./notifier.service.ts";

/** The notifier endpoints: each contract bound to the service. */
export function makeNotifierEndpoints(notifier: NotifierService) {
  return {
    list: implement(notificationsList, async (input, ctx) =>
      toNotificationPageDto(
        await notifier.list(requireCaller(ctx), {
          cursor: input.cursor,
          limit: input.limit,
          unread: input.unread === "true",
        }),
      ),
    ),
    read: implement(notificationsRead, async (input, ctx) =>
      toNotificationDto(await notifier.markRead(requireCaller(ctx), input.id)),
    ),
  };
}

/** The endpoints of the notifier service. */
export type NotifierEndpoints = ReturnType<typeof makeNotifierEndpoints>;
