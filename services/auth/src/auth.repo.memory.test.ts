import { authRepoContract } from "./auth.repo.contract.ts";
import { MemoryAuthRepo } from "./auth.repo.memory.ts";

authRepoContract("the in-memory auth repository", async () => new MemoryAuthRepo());
