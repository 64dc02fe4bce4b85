import { AppError } from "@shared/errors";
import { isAdmin } from "@shared/identity";
import { decodeCursor, encodeCursor, pageOf } from "@shared/pagination";
import type { Actor, NewProfile, Page, PageCursor, Profile, ProfileChanges } from "./users.model.ts";

/** The storage the users service needs; adapters implement it (PostgreSQL, in-memory for tests). */
export interface UsersRepo {
  /** Inserts a profile; throws AppError `conflict` when the id or email is taken. */
  create(profile: NewProfile & { id: string }): Promise<Profile>;
  /** The profile with this id, or null. */
  get(id: string): Promise<Profile | null>;
  /** Applies changes inside one transaction and returns the result, or null when the id is unknown. */
  update(id: string, changes: ProfileChanges): Promise<Profile | null>;
  /** Profiles ordered by (createdAt, id), starting strictly after the cursor. */
  list(after: PageCursor | null, limit: number): Promise<Profile[]>;
}

function mayAccess(actor: Actor, userId: string): boolean {
  return actor.userId === userId || isAdmin(actor);
}

/**
 * Profiles: a user reads and changes only their own profile; `admin` may do everything. Creation is
 * for admins and for internal callers (the auth event consumer) that act as the system.
 */
export class UsersService {
  constructor(
    private readonly repo: UsersRepo,
    private readonly newId: () => string = () => Bun.randomUUIDv7(),
  ) {}

  /** Creates a profile (admin only). */
  async create(actor: Actor, input: NewProfile): Promise<Profile> {
    if (!isAdmin(actor)) throw new AppError("permission_denied", "Only admins may create profiles");
    return this.repo.create({ ...input, id: input.id ?? this.newId(), email: normaliseEmail(input.email) });
  }

  /** Creates a profile on behalf of the platform itself (e.g. when auth registers a user). */
  async createForSystem(input: NewProfile & { id: string }): Promise<Profile> {
    return this.repo.create({ ...input, email: normaliseEmail(input.email) });
  }

  /**
   * Creates the profile of a user who registered with auth; the profile id is the auth user id. Idempotent:
   * when the profile exists already (a redelivered event, or an admin was faster) it is returned unchanged.
   * The display name defaults to the email's local part.
   */
  async createForRegistration(input: { id: string; email: string; displayName?: string }): Promise<Profile> {
    const existing = await this.repo.get(input.id);
    if (existing) return existing;
    const email = normaliseEmail(input.email);
    const displayName = input.displayName?.trim() || email.split("@")[0] || email;
    return this.repo.create({ id: input.id, email, displayName });
  }

  /** Reads a profile the actor may see. Unknown and forbidden ids answer differently only for admins. */
  async get(actor: Actor, id: string): Promise<Profile> {
    if (!mayAccess(actor, id)) throw new AppError("permission_denied", "You may read only your own profile");
    const profile = await this.repo.get(id);
    if (!profile) throw new AppError("not_found", `profile ${id} not found`);
    return profile;
  }

  /** Updates a profile the actor may change. */
  async update(actor: Actor, id: string, changes: ProfileChanges): Promise<Profile> {
    if (!mayAccess(actor, id)) throw new AppError("permission_denied", "You may change only your own profile");
    if (changes.email === undefined && changes.displayName === undefined) {
      throw new AppError("invalid_argument", "Nothing to update", {
        fields: [{ path: "/body", message: "give displayName" }],
      });
    }
    const normalised = changes.email === undefined ? changes : { ...changes, email: normaliseEmail(changes.email) };
    const profile = await this.repo.update(id, normalised);
    if (!profile) throw new AppError("not_found", `profile ${id} not found`);
    return profile;
  }

  /** Lists profiles page by page (admin only). */
  async list(actor: Actor, cursor: string | undefined, limit: number): Promise<Page<Profile>> {
    if (!isAdmin(actor)) throw new AppError("permission_denied", "Only admins may list profiles");
    const after = cursor ? decodeCursor(cursor) : null;
    return pageOf(await this.repo.list(after, limit + 1), limit, encodeCursor);
  }
}

function normaliseEmail(email: string): string {
  return email.trim().toLowerCase();
}
