import { z } from "@hono/zod-openapi";
import { pageDto, pageQuery, toPageDto } from "@shared/contracts/page.ts";
import { defineContract } from "@shared/endpoint";
import { type Notification, notificationKinds, type Page } from "./notifier.model.ts";

const query = (name: string) => ({ param: { name, in: "query" as const } });

/** A notification as every transport shows it. */
export const NotificationDto = z
  .object({
    id: z.uuid(),
    userId: z.uuid(),
    kind: z.enum(notificationKinds),
    eventId: z.uuid().describe("the event it was made from"),
    subject: z.string(),
    data: z.record(z.string(), z.unknown()),
    createdAt: z.iso.datetime(),
    readAt: z.iso.datetime().nullable(),
  })
  .openapi("Notification");
export type NotificationDto = z.infer<typeof NotificationDto>;

/** One page of notifications. */
export const NotificationPageDto = pageDto(NotificationDto, "NotificationPage");

/** `notifications.list`: the caller's notifications, newest first. */
export const notificationsList = defineContract({
  name: "notifications.list",
  summary: "List the caller's notifications, newest first",
  input: z.object({
    ...pageQuery,
    unread: z.enum(["true", "false"]).optional().describe("only unread ones when true").openapi(query("unread")),
  }),
  output: NotificationPageDto,
  errors: ["invalid_argument", "unauthenticated"],
  idempotent: true,
});

/** `notifications.read`: marks one of the caller's notifications read (again: unchanged). */
export const notificationsRead = defineContract({
  name: "notifications.read",
  summary: "Mark one of the caller's notifications read",
  input: z.object({
    id: z.uuid().openapi({ param: { name: "id", in: "path" }, example: "0190d9a4-6b1e-7c3a-9f51-2b9d3c4e5f60" }),
  }),
  output: NotificationDto,
  errors: ["invalid_argument", "unauthenticated", "not_found"],
  idempotent: true,
});

/** Domain -> DTO. */
export function toNotificationDto(n: Notification): NotificationDto {
  return {
    id: n.id,
    userId: n.userId,
    kind: n.kind,
    eventId: n.eventId,
    subject: n.subject,
    data: n.data,
    createdAt: n.createdAt.toISOString(),
    readAt: n.readAt ? n.readAt.toISOString() : null,
  };
}

/** Domain page -> DTO page. */
export function toNotificationPageDto(page: Page<Notification>): z.infer<typeof NotificationPageDto> {
  return toPageDto(page, toNotificationDto);
}
