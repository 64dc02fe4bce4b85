export { createTestDatabase, dropTestDatabase, type TestDatabase } from "./db.ts";
export { testAdminUrl } from "./server.ts";
