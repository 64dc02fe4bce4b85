/** The address every request without an X-Forwarded-For header is counted under. */
export const unknownClientAddress = "unknown";

/**
 * The client's address from X-Forwarded-For: the entry `trustedProxies` from the right, the one the
 * outermost proxy auth trusts wrote. The shop's gateway drops any client copy of the header and writes the
 * peer address alone, so with the default of 1 this is the address the gateway saw; entries further left
 * are the client's own claims and never read.
 */
export function clientAddressOf(forwardedFor: string | undefined, trustedProxies: number): string {
  if (!forwardedFor) return unknownClientAddress;
  const entries = forwardedFor.split(",");
  const entry = entries[Math.max(0, entries.length - trustedProxies)]!.trim().toLowerCase();
  return entry === "" ? unknownClientAddress : entry;
}
