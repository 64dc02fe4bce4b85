export { type AsyncApiDocument, type AsyncApiOptions, asyncApiDocument, mountAsyncApi } from "./asyncapi.ts";
export { connectEventBus, type EventBus, localEventBus, natsEventBus, subjectMatches } from "./bus.ts";
export {
  type ConsumerOptions,
  type DurableConsumerSpec,
  filterOf,
  type RunningConsumer,
  startConsumer,
} from "./consumer.ts";
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
export { type CoreEvent, type CoreSubscription, publishCore, subscribeCore } from "./core.ts";
export {
  type BindableLogger,
  defaultDlqSubject,
  type EventHandler,
  type HandlerContext,
  type ReceivedEvent,
} from "./delivery.ts";
export { contextFromHeaders, contextHeaders, type EventContext, eventHeaderNames } from "./headers.ts";
export { type EventMetrics, eventMetrics } from "./metrics.ts";
export { EventPayloadError, enqueueEvent, validatePayload } from "./outbox.ts";
export { type EventPublisher, envelopeHeaders, jetStreamPublisher, type OutgoingEvent } from "./publisher.ts";
export { type EventsLogger, type OutboxRelay, type OutboxRelayOptions, startOutboxRelay } from "./relay.ts";
export { ownedDurableSubjects, type RelayConfig, relayConfigSchema, startServiceRelay } from "./service-relay.ts";
export { provisionStreams, type StreamSpec } from "./streams.ts";
export { type InboxTable, inboxTable, type OutboxTable, outboxChannel, outboxTable, schemaOf } from "./tables.ts";
export { type PendingConsumer, type StartWhenReadyOptions, startWhenReady } from "./when-ready.ts";
