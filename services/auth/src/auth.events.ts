// The events auth publishes. `auth.user.registered` is written into the outbox by the `onRegistered` hook,
// which the service calls inside the registration transaction, so the event commits with the account.
import { type Database, executorOf } from "@shared/db";
import { userRegistered } from "@shared/events/contracts.ts";
import { enqueueEvent } from "@shared/events/outbox.ts";
import type { PublicAccount } from "./auth.model.ts";
import { outbox } from "./auth.schema.ts";
import type { OnRegistered } from "./auth.service.ts";

/** Account -> `auth.user.registered` payload. */
export function userRegisteredPayload(account: PublicAccount) {
  return { userId: account.id, email: account.email };
}

/** The `onRegistered` hook that enqueues `auth.user.registered` in the caller's (the registration's) transaction. */
export function enqueueUserRegistered(database: Database): OnRegistered {
  return async (account) => {
    await enqueueEvent(executorOf(database), outbox, userRegistered, userRegisteredPayload(account));
  };
}
