import { AppError } from "@shared/errors";
import { compareKeys } from "@shared/pagination";
import type { NewProfile, PageCursor, Profile, ProfileChanges } from "./users.model.ts";
import type { UsersRepo } from "./users.service.ts";

/** An in-memory UsersRepo for service tests; passes the same contract suite as the PostgreSQL one. */
export class MemoryUsersRepo implements UsersRepo {
  private readonly rows = new Map<string, Profile>();
  constructor(private readonly now: () => Date = () => new Date()) {}

  async create(profile: NewProfile & { id: string }): Promise<Profile> {
    const emailTaken = [...this.rows.values()].some((p) => p.email.toLowerCase() === profile.email.toLowerCase());
    if (this.rows.has(profile.id) || emailTaken) {
      throw new AppError("conflict", "a profile with this id or email already exists");
    }
    const at = this.now();
    const created: Profile = {
      id: profile.id,
      email: profile.email,
      displayName: profile.displayName,
      createdAt: at,
      updatedAt: at,
    };
    this.rows.set(profile.id, created);
    return { ...created };
  }

  async get(id: string): Promise<Profile | null> {
    const p = this.rows.get(id);
    return p ? { ...p } : null;
  }

  async update(id: string, changes: ProfileChanges): Promise<Profile | null> {
    const current = this.rows.get(id);
    if (!current) return null;
    if (
      changes.email !== undefined &&
      [...this.rows.values()].some((p) => p.id !== id && p.email.toLowerCase() === changes.email!.toLowerCase())
    ) {
      throw new AppError("conflict", "this email belongs to another profile");
    }
    const next: Profile = {
      ...current,
      ...(changes.email !== undefined ? { email: changes.email } : {}),
      ...(changes.displayName !== undefined ? { displayName: changes.displayName } : {}),
      updatedAt: this.now(),
    };
    this.rows.set(id, next);
    return { ...next };
  }

  async list(after: PageCursor | null, limit: number): Promise<Profile[]> {
    const sorted = [...this.rows.values()].sort(compareKeys);
    const start = after ? sorted.filter((p) => compareKeys(p, after) > 0) : sorted;
    return start.slice(0, limit).map((p) => ({ ...p }));
  }
}
