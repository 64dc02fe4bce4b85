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

/** Failed-login bookkeeping for one normalised email. */
export interface LoginAttempts {
  failures: number;
  windowStartedAt: Date;
  lockedUntil: Date | null;
}

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
