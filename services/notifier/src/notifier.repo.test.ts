import { embedMigrations } from "@shared/db/migrations.macro.ts" with { type: "macro" };
import { useMigratedDatabase } from "@shared/testing";
import { notificationsRepoContract } from "./notifier.repo.contract.ts";
import { PgNotificationsRepo } from "./notifier.repo.ts";

const db = useMigratedDatabase({
  schema: "notifier",
  migrations: embedMigrations("drizzle/notifier"),
  prefix: "notifier_repo",
  truncate: ["notifier.notifications", "notifier.inbox"],
});

notificationsRepoContract("the PostgreSQL notifications repository", async () => new PgNotificationsRepo(db.database));
