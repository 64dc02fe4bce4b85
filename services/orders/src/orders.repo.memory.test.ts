import { ordersRepoContract } from "./orders.repo.contract.ts";
import { MemoryOrdersRepo } from "./orders.repo.memory.ts";

ordersRepoContract("the in-memory orders repository", async () => new MemoryOrdersRepo());
