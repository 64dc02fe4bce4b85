CREATE TABLE "catalog"."stock_reservations" (
	"order_id" uuid PRIMARY KEY NOT NULL,
	"status" text NOT NULL,
	"lines" jsonb NOT NULL,
	"created_at" timestamp (3) with time zone DEFAULT now() NOT NULL,
	"released_at" timestamp (3) with time zone,
	CONSTRAINT "stock_reservations_status_check" CHECK ("catalog"."stock_reservations"."status" in ('held', 'released'))
);
