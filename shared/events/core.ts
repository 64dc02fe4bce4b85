import { type NatsConnection, headers as natsHeaders } from "@nats-io/transport-node";
import type { EventContract, PayloadIn, PayloadOf } from "./contracts.ts";
import { contextFromHeaders, contextHeaders, type EventContext, eventHeaderNames, lowerCaseKeys } from "./headers.ts";
import { validatePayload } from "./outbox.ts";
import type { EventsLogger } from "./relay.ts";

const encoder = new TextEncoder();
const decoder = new TextDecoder();

/** A core (at-most-once) event as a subscriber receives it. */
export interface CoreEvent<E extends EventContract> {
  id: string;
  payload: PayloadOf<E>;
  ctx: { requestId: string; traceId?: string };
}

/** A subscription; `stop` drains it. */
export interface CoreSubscription {
  stop(): Promise<void>;
}

/** The envelope of a core event: validated JSON bytes and headers. */
export function coreMessage<E extends EventContract>(event: E, payload: PayloadIn<E>, ctx?: EventContext) {
  if (event.delivery !== "core") throw new Error(`${event.subject} is durable: enqueue it in the outbox`);
  const data = encoder.encode(JSON.stringify(validatePayload(event, payload)));
  const headers: Record<string, string> = {
    ...contextHeaders(ctx),
    [eventHeaderNames.msgId]: Bun.randomUUIDv7(),
    [eventHeaderNames.version]: String(event.version),
    [eventHeaderNames.occurredAt]: new Date().toISOString(),
  };
  return { data, headers };
}

/** Decodes and validates a core event; null when it is not this contract's version or breaks it. */
export function decodeCore<E extends EventContract>(
  event: E,
  data: Uint8Array,
  headers: Record<string, string>,
): CoreEvent<E> | null {
  if (Number(headers[eventHeaderNames.version.toLowerCase()] ?? "1") !== event.version) return null;
  let raw: unknown;
  try {
    raw = JSON.parse(decoder.decode(data));
  } catch {
    return null;
  }
  const parsed = event.payload.safeParse(raw);
  if (!parsed.success) return null;
  return {
    id: headers[eventHeaderNames.msgId.toLowerCase()] ?? "",
    payload: parsed.data as PayloadOf<E>,
    ctx: contextFromHeaders(headers),
  };
}

/**
 * Publishes a core NATS event (fire-and-forget: lost if nobody listens or NATS is down). Only for
 * events whose loss is harmless, such as cache purges.
 * @example publishCore(nc, productChanged, { productId, change: "updated", version: 3 }, { requestId });
 */
export function publishCore<E extends EventContract>(
  nc: NatsConnection,
  event: E,
  payload: PayloadIn<E>,
  ctx?: EventContext,
): void {
  const { data, headers } = coreMessage(event, payload, ctx);
  const h = natsHeaders();
  for (const [k, v] of Object.entries(headers)) h.set(k, v);
  nc.publish(event.subject, data, { headers: h });
}

/**
 * Subscribes to a core NATS event; messages that break the contract are logged and dropped, handler
 * errors are logged. `queue` shares the messages between instances (omit it for cache purges: every
 * instance must see them).
 * @example subscribeCore(nc, productChanged, async (e) => cache.purge(e.payload.productId), { logger });
 */
export function subscribeCore<E extends EventContract>(
  nc: NatsConnection,
  event: E,
  handler: (event: CoreEvent<E>) => void | Promise<void>,
  options: { logger: EventsLogger; queue?: string },
): CoreSubscription {
  const sub = nc.subscribe(event.subject, {
    ...(options.queue ? { queue: options.queue } : {}),
    callback: (err, msg) => {
      if (err) {
        options.logger.warn({ err, subject: event.subject }, "core event subscription error");
        return;
      }
      const received = decodeCore(event, msg.data, msg.headers ? lowerCaseKeys(msg.headers) : {});
      if (!received) {
        options.logger.warn({ subject: msg.subject }, "dropped a core event that breaks its contract");
        return;
      }
      void Promise.resolve()
        .then(() => handler(received))
        .catch((e) => options.logger.error({ err: e, subject: event.subject }, "core event handler failed"));
    },
  });
  return { stop: () => sub.drain() };
}
