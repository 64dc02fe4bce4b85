export { type CatalogStandIn, catalogStandIn } from "./catalog-standin.ts";
export { createTestDatabase, dropTestDatabase, type TestDatabase } from "./db.ts";
export { errorCodeOf } from "./errors.ts";
export { type FuzzFailure, type FuzzReport, fuzzTextFields, type RequestTarget } from "./fuzz.ts";
export {
  createMigratedDatabase,
  type MigratedDatabase,
  type MigratedDatabaseOptions,
  useMigratedDatabase,
} from "./migrated-db.ts";
export { natsForTests, natsTestUrl } from "./nats.ts";
export {
  type ClusterNode,
  natsServerBinary,
  type PrivateNats,
  type PrivateNatsCluster,
  type PrivateNatsOptions,
  privateNatsAvailable,
  startPrivateNats,
  startPrivateNatsCluster,
} from "./nats-server.ts";
export { type PromSample, parsePrometheusText } from "./prometheus.ts";
export { testAdminUrl } from "./server.ts";
