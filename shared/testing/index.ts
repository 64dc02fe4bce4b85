export { createTestDatabase, dropTestDatabase, type TestDatabase } from "./db.ts";
export { natsForTests, natsTestUrl } from "./nats.ts";
export { type PromSample, parsePrometheusText } from "./prometheus.ts";
export { testAdminUrl } from "./server.ts";
