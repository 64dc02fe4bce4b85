import { type Span, SpanKind, type Tracer, trace } from "@opentelemetry/api";
import { extractTraceContext, injectTraceContext, recordFailure } from "../telemetry/context.ts";
import type { EventBus } from "./bus.ts";
import type { EventPublisher, OutgoingEvent } from "./publisher.ts";

/**
 * The publisher with a PRODUCER span per event that carries a trace: a child of the context stored with
 * the outbox row, whose own context then travels in the message headers for the consumer to continue.
 * Events made outside any trace are published as they are.
 */
export function tracedPublisher(inner: EventPublisher, tracer: Tracer): EventPublisher {
  const start = (event: OutgoingEvent): [OutgoingEvent, Span | undefined] => {
    if (!event.headers.traceparent) return [event, undefined];
    const parent = extractTraceContext((name) => event.headers[name]);
    const span = tracer.startSpan(
      `send ${event.subject}`,
      {
        kind: SpanKind.PRODUCER,
        attributes: {
          "messaging.system": "nats",
          "messaging.operation.type": "send",
          "messaging.destination.name": event.subject,
          "messaging.message.id": event.id,
        },
      },
      parent,
    );
    const headers = { ...event.headers };
    injectTraceContext(trace.setSpan(parent, span), headers);
    return [{ ...event, headers }, span];
  };
  const end = (span: Span | undefined, err: unknown) => {
    if (!span) return;
    if (err !== null && err !== undefined) recordFailure(span, err);
    span.end();
  };
  const publisher: EventPublisher = {
    async publish(event) {
      const [traced, span] = start(event);
      try {
        await inner.publish(traced);
        end(span, null);
      } catch (err) {
        end(span, err);
        throw err;
      }
    },
  };
  const batch = inner.publishBatch?.bind(inner);
  if (batch) {
    publisher.publishBatch = async (events) => {
      const started = events.map(start);
      const errors = await batch(started.map(([e]) => e));
      for (let i = 0; i < started.length; i++) end(started[i]?.[1], errors[i]);
      return errors;
    };
  }
  return publisher;
}

/**
 * An event bus whose relay publishes and durable consumers are traced: a span per published event and a
 * CONSUMER span per processed message, continuing the message's headers from the root context.
 * @example const events = telemetry.tracer ? traceEvents(bus, telemetry.tracer) : bus;
 */
export function traceEvents(bus: EventBus, tracer: Tracer): EventBus {
  return {
    ...bus,
    publisher: tracedPublisher(bus.publisher, tracer),
    consume: (spec) => bus.consume({ ...spec, tracer }),
  };
}
