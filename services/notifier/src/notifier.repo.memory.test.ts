import { notifierRepoContract } from "./notifier.repo.contract.ts";
import { MemoryNotifierRepo } from "./notifier.repo.memory.ts";

notifierRepoContract("the in-memory notifications repository", async () => new MemoryNotifierRepo());
