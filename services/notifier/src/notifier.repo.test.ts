import { embedMigrations } from "@shared/db/migrations.macro.ts" with { type: "macro" };
import { useMigratedDatabase } from "@shared/testing";
import { notifierRepoContract } from "./notifier.repo.contract.ts";
import { PgNotifierRepo } from "./notifier.repo.ts";

const db = useMigratedDatabase({
  schema: "notifier",
  migrations: embedMigrations("drizzle/notifier"),
  prefix: "notifier_repo",
  truncate: ["notifier.notifications", "notifier.inbox"],
});

notifierRepoContract("the PostgreSQL notifications repository", async () => new PgNotifierRepo(db.database));
