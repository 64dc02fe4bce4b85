import { describe, expect, test } from "bun:test";
import { Hono } from "hono";
import { z } from "zod";
import { asyncApiDocument, mountAsyncApi } from "./asyncapi.ts";
import { defineEvent, findEvent, orderPlaced, platformEvents } from "./contracts.ts";

// biome-ignore lint/suspicious/noExplicitAny: walking a generated JSON document
type Doc = any;

describe("event contracts", () => {
  test("the platform list holds every event of the ADR once, with subject, version and delivery", () => {
    expect(platformEvents.map((e) => `${e.subject}@${e.version}:${e.delivery}`)).toEqual([
      "auth.user.registered@1:jetstream",
      "orders.order.placed@1:jetstream",
      "orders.order.cancelled@1:jetstream",
      "catalog.product.changed@1:core",
    ]);
  });

  test("a subject that is not service.entity.verb is refused", () => {
    const payload = z.object({});
    expect(() => defineEvent({ subject: "Orders.Placed", version: 1, payload, delivery: "core", summary: "" })).toThrow(
      "is not <service>.<entity>.<verb-past-tense>",
    );
    expect(() => defineEvent({ subject: "a.b.c", version: 0, payload, delivery: "core", summary: "" })).toThrow(
      "versions are integers from 1",
    );
  });

  test("an order placed payload without lines or with a lowercase currency is invalid", () => {
    const good = {
      orderId: crypto.randomUUID(),
      userId: crypto.randomUUID(),
      totalMinor: 1200,
      currency: "EUR",
      lines: [{ productId: crypto.randomUUID(), quantity: 2, unitPriceMinor: 600 }],
      placedAt: new Date().toISOString(),
    };
    expect(orderPlaced.payload.safeParse(good).success).toBe(true);
    expect(orderPlaced.payload.safeParse({ ...good, lines: [] }).success).toBe(false);
    expect(orderPlaced.payload.safeParse({ ...good, currency: "eur" }).success).toBe(false);
  });

  test("findEvent matches subject and version, not subject alone", () => {
    expect(findEvent(platformEvents, "orders.order.placed", 1)).toBe(orderPlaced);
    expect(findEvent(platformEvents, "orders.order.placed", 2)).toBeUndefined();
  });
});

describe("AsyncAPI document", () => {
  test("has a channel, a send operation and a message with a JSON Schema payload per event", () => {
    const doc = asyncApiDocument(platformEvents) as Doc;
    expect(doc.asyncapi).toBe("3.0.0");
    expect(Object.keys(doc.channels)).toHaveLength(4);
    const channel = doc.channels.orders_order_placed;
    expect(channel.address).toBe("orders.order.placed");
    expect(channel.messages.orders_order_placed_v1.$ref).toBe("#/components/messages/orders_order_placed_v1");
    expect(doc.operations.publish_orders_order_placed.action).toBe("send");
    expect(doc.operations.publish_orders_order_placed.channel.$ref).toBe("#/channels/orders_order_placed");
    const payload = doc.components.messages.orders_order_placed_v1.payload;
    expect(payload.type).toBe("object");
    expect(payload.required).toContain("lines");
    expect(payload.properties.lines.items.properties.quantity.type).toBe("integer");
    expect(payload.$schema).toBeUndefined();
    expect(doc.components.messages.orders_order_placed_v1.headers.properties["Nats-Msg-Id"]).toBeDefined();
    expect(doc.components.messages.catalog_product_changed_v1.headers.properties["Nats-Msg-Id"]).toBeUndefined();
  });

  test("a service's document lists only the events it publishes", () => {
    const doc = asyncApiDocument(platformEvents, { service: "orders", version: "1.2.3" }) as Doc;
    expect(Object.values(doc.channels).map((c: Doc) => c.address)).toEqual([
      "orders.order.cancelled",
      "orders.order.placed",
    ]);
    expect(doc.info.version).toBe("1.2.3");
  });

  test("two versions of one subject share a channel and both messages are listed", () => {
    const v1 = defineEvent({
      subject: "x.y.happened",
      version: 1,
      payload: z.object({ a: z.string() }),
      delivery: "jetstream",
      summary: "v1",
    });
    const v2 = defineEvent({
      subject: "x.y.happened",
      version: 2,
      payload: z.object({ b: z.number() }),
      delivery: "jetstream",
      summary: "v2",
    });
    const doc = asyncApiDocument([v2, v1]) as Doc;
    expect(Object.keys(doc.channels.x_y_happened.messages)).toEqual(["x_y_happened_v1", "x_y_happened_v2"]);
    expect(doc.operations.publish_x_y_happened.messages).toHaveLength(2);
  });

  test("mountAsyncApi serves the document at /asyncapi.json", async () => {
    const app = new Hono();
    const doc = asyncApiDocument(platformEvents, { service: "auth" });
    mountAsyncApi(app, doc);
    const res = await app.request("/asyncapi.json");
    expect(res.status).toBe(200);
    expect(res.headers.get("content-type")).toContain("application/json");
    expect(await res.json()).toEqual(doc);
  });
});
