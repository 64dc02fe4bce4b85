// The events auth publishes, built from the domain account. The repository writes `auth.user.registered`
// into the outbox inside the registration's transaction, so the event commits with the account (ADR 0001).
import { type PayloadIn, userRegistered } from "@shared/events/contracts.ts";
import type { PublicAccount } from "./auth.model.ts";

export { userRegistered };

/** Account -> `auth.user.registered` payload. */
export function userRegisteredPayload(account: Pick<PublicAccount, "id" | "email">): PayloadIn<typeof userRegistered> {
  return { userId: account.id, email: account.email };
}
