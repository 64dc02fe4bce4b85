// One drizzle-kit config for every service, chosen by DRIZZLE_SERVICE (scripts/gen.ts and
// scripts/check.ts set it): schema services/<svc>/src/<svc>.schema.ts, migrations in drizzle/<svc>/
// (DRIZZLE_OUT and DRIZZLE_SCHEMA override them, for drift checks into a scratch copy and for tests),
// the migrations journal table inside the service's own PostgreSQL schema. Paths are relative to the
// repository root: drizzle-kit mangles absolute ones.
//   DRIZZLE_SERVICE=users bunx drizzle-kit generate
import { defineConfig } from "drizzle-kit";

const service = process.env.DRIZZLE_SERVICE;
if (!service || !/^[a-z][a-z0-9-]*$/.test(service)) {
  throw new Error("drizzle.config.ts: set DRIZZLE_SERVICE to a service name, e.g. DRIZZLE_SERVICE=users");
}

export default defineConfig({
  dialect: "postgresql",
  schema: process.env.DRIZZLE_SCHEMA ?? `./services/${service}/src/${service}.schema.ts`,
  out: process.env.DRIZZLE_OUT ?? `./drizzle/${service}`,
  schemaFilter: [service],
  migrations: { schema: service, table: "__drizzle_migrations" },
  dbCredentials: { url: process.env.DATABASE_URL ?? "postgres://postgres@127.0.0.1:5432/postgres" },
  strict: true,
  verbose: true,
});
