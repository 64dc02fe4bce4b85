import { notificationsRepoContract } from "./notifier.repo.contract.ts";
import { MemoryNotificationsRepo } from "./notifier.repo.memory.ts";

notificationsRepoContract("the in-memory notifications repository", async () => new MemoryNotificationsRepo());
