import { embedMigrations } from "@shared/db/migrations.macro.ts" with { type: "macro" };
import { useMigratedDatabase } from "@shared/testing";
import { usersRepoContract } from "./users.repo.contract.ts";
import { PgUsersRepo } from "./users.repo.ts";

const db = useMigratedDatabase({
  schema: "users",
  migrations: embedMigrations("drizzle/users"),
  prefix: "users_repo",
  truncate: ["users.profiles"],
});

usersRepoContract("the PostgreSQL users repository", async () => new PgUsersRepo(db.database));
