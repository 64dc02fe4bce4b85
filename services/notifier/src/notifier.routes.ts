import { httpRoute } from "@shared/endpoint";
import { notificationsList, notificationsRead } from "./notifier.contract.ts";

const common = { tags: ["notifications"], authenticated: true } as const;

/** HTTP transport of the notifier endpoints, keyed like them. */
export const notifierRoutes = {
  list: httpRoute(notificationsList, {
    ...common,
    method: "get",
    path: "/notifications",
    query: ["cursor", "limit", "unread"],
  }),
  read: httpRoute(notificationsRead, {
    ...common,
    method: "post",
    path: "/notifications/{id}/read",
    params: ["id"],
    body: false,
  }),
};
