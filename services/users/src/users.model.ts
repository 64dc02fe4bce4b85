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

/** Who is asking, as forwarded by the gateway. */
export interface Actor {
  userId: string;
  roles: readonly string[];
}

/** One page of a keyset-paginated listing. */
export interface Page<T> {
  items: T[];
  nextCursor: string | null;
}

/** Where a listing page starts: strictly after this (createdAt, id). */
export interface PageCursor {
  createdAt: Date;
  id: string;
}
