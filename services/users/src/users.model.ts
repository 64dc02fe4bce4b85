// The caller (as the gateway forwards it) and keyset pages are the kit's, the same in every service.
export type { Actor } from "@shared/identity";
export type { Page, PageCursor } from "@shared/pagination";

/** A user's profile as the service layer sees it. */
export interface Profile {
  id: string;
  email: string;
  displayName: string;
  createdAt: Date;
  updatedAt: Date;
}

/** What creating a profile needs; the id comes from the auth service (or is generated when absent). */
export interface NewProfile {
  id?: string;
  email: string;
  displayName: string;
}

/** A partial update of a profile. */
export interface ProfileChanges {
  email?: string;
  displayName?: string;
}
