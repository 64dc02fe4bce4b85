// The caller, as the gateway forwards it, is the kit's, the same in every service.
export type { Actor } from "@shared/identity";

/** The roles the platform knows. `user` is held by every account. */
export const roles = ["user", "admin"] as const;
export type Role = (typeof roles)[number];

/** An account as the service layer sees it (the password hash never leaves the service). */
export interface Account {
  id: string;
  email: string;
  passwordHash: string;
  roles: Role[];
  createdAt: Date;
  updatedAt: Date;
}

/** What the outside world may see of an account. */
export type PublicAccount = Omit<Account, "passwordHash">;

/** A stored refresh token (hash only). */
export interface RefreshTokenRecord {
  id: string;
  familyId: string;
  accountId: string;
  tokenHash: string;
  createdAt: Date;
  expiresAt: Date;
  usedAt: Date | null;
  revokedAt: Date | null;
}

/** Failed logins of one normalised email from one client address. */
export interface LoginFailures {
  /** Attempts counted since the count last restarted; each counts from before its password is checked. */
  failures: number;
  lastFailureAt: Date;
  /** No attempt of this pair is checked before then. */
  blockedUntil: Date;
}

/** How `AuthRepo.reserveLoginAttempt` counts one attempt, from `AuthPolicy.throttle` at `now`. */
export interface AttemptRule {
  now: Date;
  /** Seconds a pair waits after its n-th failure: `delaysSec[n - 1]`, the last one for every n past the end. */
  delaysSec: readonly number[];
  /** A pair whose last failure is at or before this starts counting again from 1. */
  forgetBefore: Date;
  /**
   * The per-account ceiling: when the account's failures from every address since `since` have reached
   * `failures`, each attempt counts `extra` more for choosing its delay.
   */
  ceiling: { failures: number; since: Date; extra: number };
}

/** A reserved attempt (its password may be checked) or a refused one and when the pair may try again. */
export type AttemptSlot = { granted: true; failures: number } | { granted: false; retryAt: Date };

/** The result of a login or a refresh. */
export interface TokenPair {
  accessToken: string;
  accessExpiresIn: number;
  refreshToken: string;
  refreshExpiresIn: number;
}

/** A change of roles; at least one of the lists is non-empty. */
export interface RoleChange {
  grant?: Role[];
  revoke?: Role[];
}

/** Claims the service puts in an access token (the issuer adds iss, aud, iat, exp, jti and kid). */
export interface AccessClaims {
  sub: string;
  roles: Role[];
}
