CREATE SCHEMA IF NOT EXISTS "notifier";
--> statement-breakpoint
CREATE TABLE "notifier"."inbox" (
	"event_id" uuid PRIMARY KEY NOT NULL,
	"subject" text NOT NULL,
	"received_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE TABLE "notifier"."notifications" (
	"id" uuid PRIMARY KEY NOT NULL,
	"user_id" uuid NOT NULL,
	"kind" text NOT NULL,
	"event_id" uuid NOT NULL,
	"subject" text NOT NULL,
	"data" jsonb NOT NULL,
	"created_at" timestamp (3) with time zone DEFAULT now() NOT NULL,
	"read_at" timestamp (3) with time zone,
	CONSTRAINT "notifications_kind_check" CHECK ("notifier"."notifications"."kind" in ('order-placed', 'order-cancelled', 'user-registered'))
);
--> statement-breakpoint
CREATE INDEX "notifications_user_created_idx" ON "notifier"."notifications" USING btree ("user_id","created_at" DESC NULLS LAST,"id" DESC NULLS LAST);--> statement-breakpoint
CREATE INDEX "notifications_event_idx" ON "notifier"."notifications" USING btree ("event_id");