import { implement } from "@shared/endpoint";
import { requireCaller } from "@shared/identity";
import { toProfileDto, toProfilePageDto, usersCreate, usersGet, usersList, usersUpdate } from "./users.contract.ts";
import type { UsersService } from "./users.service.ts";

/** The users endpoints: each contract bound to the service, served on HTTP and (some) on NATS. */
export function makeUsersEndpoints(users: UsersService) {
  return {
    create: implement(usersCreate, async (input, ctx) => toProfileDto(await users.create(requireCaller(ctx), input))),
    get: implement(usersGet, async (input, ctx) => toProfileDto(await users.get(requireCaller(ctx), input.id))),
    update: implement(usersUpdate, async ({ id, ...changes }, ctx) =>
      toProfileDto(await users.update(requireCaller(ctx), id, changes)),
    ),
    list: implement(usersList, async (input, ctx) =>
      toProfilePageDto(await users.list(requireCaller(ctx), input.cursor, input.limit)),
    ),
  };
}

/** The endpoints of the users service. */
export type UsersEndpoints = ReturnType<typeof makeUsersEndpoints>;
