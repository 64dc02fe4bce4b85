import { catalogRepoContract } from "./catalog.repo.contract.ts";
import { MemoryCatalogRepo } from "./catalog.repo.memory.ts";

catalogRepoContract("the in-memory catalog repository", async () => new MemoryCatalogRepo());
