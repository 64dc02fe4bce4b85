import { usersRepoContract } from "./users.repo.contract.ts";
import { MemoryUsersRepo } from "./users.repo.memory.ts";

usersRepoContract("the in-memory users repository", async () => new MemoryUsersRepo());
