CREATE SCHEMA IF NOT EXISTS "catalog";
--> statement-breakpoint
CREATE TABLE "catalog"."products" (
	"id" uuid PRIMARY KEY NOT NULL,
	"sku" text NOT NULL,
	"name" text NOT NULL,
	"description" text DEFAULT '' NOT NULL,
	"price_minor" integer NOT NULL,
	"currency" text NOT NULL,
	"stock" integer DEFAULT 0 NOT NULL,
	"active" boolean DEFAULT true NOT NULL,
	"version" integer DEFAULT 1 NOT NULL,
	"created_at" timestamp (3) with time zone DEFAULT now() NOT NULL,
	"updated_at" timestamp (3) with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "products_price_minor_check" CHECK ("catalog"."products"."price_minor" >= 0),
	CONSTRAINT "products_stock_check" CHECK ("catalog"."products"."stock" >= 0),
	CONSTRAINT "products_currency_check" CHECK ("catalog"."products"."currency" ~ '^[A-Z]{3}$'),
	CONSTRAINT "products_version_check" CHECK ("catalog"."products"."version" >= 1)
);
--> statement-breakpoint
CREATE UNIQUE INDEX "products_sku_key" ON "catalog"."products" USING btree (lower("sku"));