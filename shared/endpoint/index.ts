export { type Breaker, type BreakerOptions, createBreaker } from "./breaker.ts";
export { connectBus, type EndpointBus, localBus, natsBus, type ServiceIdentity } from "./bus.ts";
export { type ClientOptions, createClient, type EndpointClient, type RequestTransport } from "./client.ts";
export {
  type CallContext,
  defineContract,
  type Endpoint,
  type EndpointContract,
  implement,
} from "./contract.ts";
export { type EntityTag, entityTags, ifNoneMatchHits } from "./etag.ts";
export {
  describeHttpRoutes,
  type HttpBinding,
  type HttpRoute,
  type HttpRoutes,
  httpRoute,
  type MountOptions,
  mountHttpEndpoint,
  mountHttpRoutes,
} from "./http.ts";
export { LocalBus } from "./local.ts";
export {
  type EndpointMiddleware,
  type EndpointObservationOptions,
  observeEndpoint,
  type TransportName,
} from "./middleware.ts";
export { natsTransport, semverOf, serveOverNats } from "./nats.ts";
export { natsConnectOptions, natsServers } from "./nats-connect.ts";
export { contextOf, dispatch, headersOf } from "./wire.ts";
