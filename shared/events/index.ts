export { type AsyncApiDocument, type AsyncApiOptions, asyncApiDocument, mountAsyncApi } from "./asyncapi.ts";
export {
  type Delivery,
  defineEvent,
  type EventContract,
  findEvent,
  orderCancelled,
  orderPlaced,
  ownerOf,
  type PayloadIn,
  type PayloadOf,
  platformEvents,
  productChanged,
  userRegistered,
} from "./contracts.ts";
export { contextFromHeaders, contextHeaders, type EventContext, eventHeaderNames } from "./headers.ts";
export { type EventMetrics, eventMetrics } from "./metrics.ts";
export { EventPayloadError, enqueueEvent, validatePayload } from "./outbox.ts";
export { type EventPublisher, envelopeHeaders, jetStreamPublisher, type OutgoingEvent } from "./publisher.ts";
export { type EventsLogger, type OutboxRelay, type OutboxRelayOptions, startOutboxRelay } from "./relay.ts";
export { type InboxTable, inboxTable, type OutboxTable, outboxChannel, outboxTable, schemaOf } from "./tables.ts";
