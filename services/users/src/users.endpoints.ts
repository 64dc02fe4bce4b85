import { type CallContext, implement } from "@shared/endpoint";
import { AppError } from "@shared/errors";
import { toProfileDto, toProfilePageDto, usersCreate, usersGet, usersList, usersUpdate } from "./users.contract.ts";
import type { Actor } from "./users.model.ts";
import type { UsersService } from "./users.service.ts";

/** The caller as the service layer knows it; no identity is an `unauthenticated` error. */
function actorOf(ctx: CallContext): Actor {
  if (!ctx.identity) throw new AppError("unauthenticated", "This operation needs an authenticated caller");
  return ctx.identity;
}

/** The users endpoints: each contract bound to the service, served on HTTP and (some) on NATS. */
export function makeUsersEndpoints(users: UsersService) {
  return {
    create: implement(usersCreate, async (input, ctx) => toProfileDto(await users.create(actorOf(ctx), input))),
    get: implement(usersGet, async (input, ctx) => toProfileDto(await users.get(actorOf(ctx), input.id))),
    update: implement(usersUpdate, async ({ id, ...changes }, ctx) =>
      toProfileDto(await users.update(actorOf(ctx), id, changes)),
    ),
    list: implement(usersList, async (input, ctx) =>
      toProfilePageDto(await users.list(actorOf(ctx), input.cursor, input.limit)),
    ),
  };
}

/** The endpoints of the users service. */
export type UsersEndpoints = ReturnType<typeof makeUsersEndpoints>;
