import type { Hono } from "hono";
import { z } from "zod";
import { type EventContract, ownerOf } from "./contracts.ts";
import { eventHeaderNames } from "./headers.ts";

/** An AsyncAPI 3.0 document (kept loose: it is generated, then served or written as JSON). */
export type AsyncApiDocument = Record<string, unknown> & { asyncapi: "3.0.0" };

/** Options of `asyncApiDocument`. */
export interface AsyncApiOptions {
  /** Only the events this service publishes (the first subject segment); all events when absent. */
  service?: string;
  title?: string;
  version?: string;
}

const key = (s: string) => s.replace(/[^A-Za-z0-9_-]/g, "_");

function jsonSchemaOf(schema: z.ZodType): Record<string, unknown> {
  // AsyncAPI's default schema format is a superset of JSON Schema draft 07; what goes on the wire is the parsed value.
  const { $schema: _ignored, ...rest } = z.toJSONSchema(schema, { target: "draft-07", io: "output" }) as Record<
    string,
    unknown
  >;
  return rest;
}

function headersSchema(event: EventContract): Record<string, unknown> {
  const props: Record<string, unknown> = {
    [eventHeaderNames.requestId]: { type: "string", description: "The request that caused the event" },
    [eventHeaderNames.traceparent]: { type: "string", description: "W3C trace context" },
    [eventHeaderNames.version]: { type: "string", const: String(event.version), description: "Payload version" },
    [eventHeaderNames.occurredAt]: { type: "string", format: "date-time", description: "When the event happened" },
  };
  if (event.delivery === "jetstream") {
    props[eventHeaderNames.msgId] = { type: "string", format: "uuid", description: "Event id (UUID v7); dedup key" };
  }
  return { type: "object", properties: props };
}

/**
 * Builds an AsyncAPI 3.0 document from event contracts: one channel per subject, one message per version,
 * one `send` operation per channel, payloads as JSON Schema from zod.
 * @example const doc = asyncApiDocument(platformEvents, { service: "orders", version });
 */
export function asyncApiDocument(events: readonly EventContract[], options: AsyncApiOptions = {}): AsyncApiDocument {
  const picked = options.service ? events.filter((e) => ownerOf(e) === options.service) : [...events];
  picked.sort((a, b) => a.subject.localeCompare(b.subject) || a.version - b.version);
  const channels: Record<string, Record<string, unknown>> = {};
  const operations: Record<string, unknown> = {};
  const messages: Record<string, unknown> = {};
  for (const event of picked) {
    const channelId = key(event.subject);
    const messageId = `${channelId}_v${event.version}`;
    messages[messageId] = {
      name: event.subject,
      title: `${event.subject} v${event.version}`,
      summary: event.summary,
      contentType: "application/json",
      headers: headersSchema(event),
      payload: jsonSchemaOf(event.payload),
      "x-delivery": event.delivery,
    };
    let channel = channels[channelId];
    if (!channel) {
      const how = event.delivery === "jetstream" ? "JetStream, at least once" : "core NATS, at most once";
      channel = { address: event.subject, description: `${event.summary} (${how})`, messages: {} };
      channels[channelId] = channel;
    }
    (channel.messages as Record<string, unknown>)[messageId] = { $ref: `#/components/messages/${messageId}` };
    operations[`publish_${channelId}`] = {
      action: "send",
      channel: { $ref: `#/channels/${channelId}` },
      summary: event.summary,
      messages: Object.keys(channel.messages as object).map((m) => ({ $ref: `#/channels/${channelId}/messages/${m}` })),
    };
  }
  return {
    asyncapi: "3.0.0",
    info: {
      title: options.title ?? (options.service ? `${options.service} events` : "Platform events"),
      version: options.version ?? "1.0.0",
      description: "Generated from shared/events/contracts.ts; metadata travels in NATS headers.",
    },
    defaultContentType: "application/json",
    channels,
    operations,
    components: { messages },
  };
}

/**
 * Serves an AsyncAPI document at `/asyncapi.json`, next to `/openapi.json`.
 * @example mountAsyncApi(app, asyncApiDocument(platformEvents, { service: "orders", version }));
 */
// biome-ignore lint/suspicious/noExplicitAny: any app env; the handler reads nothing from it
export function mountAsyncApi(app: Pick<Hono<any>, "get">, doc: AsyncApiDocument): void {
  const body = JSON.stringify(doc);
  app.get("/asyncapi.json", () => new Response(body, { headers: { "content-type": "application/json" } }));
}
