import { z } from "@hono/zod-openapi";
import { pageDto, pageQuery, toPageDto } from "@shared/contracts/page.ts";
import { ProfileDto, usersGet } from "@shared/contracts/users.ts";
import { defineContract } from "@shared/endpoint";
import type { Page, Profile } from "./users.model.ts";

export { ProfileDto, usersGet };

const id = z.uuid().openapi({ param: { name: "id", in: "path" }, example: "0190d9a4-6b1e-7c3a-9f51-2b9d3c4e5f60" });
const displayName = z.string().trim().min(1).max(100);
const email = z.email().max(254);

/** `users.create`: an admin creates a profile (the id may come from auth). */
export const usersCreate = defineContract({
  name: "users.create",
  summary: "Create a profile (admin)",
  input: z.strictObject({ id: z.uuid().optional(), email, displayName }),
  output: ProfileDto,
  errors: ["invalid_argument", "unauthenticated", "permission_denied", "conflict"],
  idempotent: false,
});

/** `users.update`: change one's own profile (or any, as admin). The email is the account's: it comes from auth's
 * registration event and is not changed here (a profile holding an address no account has yet would make that
 * account's registration clash with it and leave the account without a profile). */
export const usersUpdate = defineContract({
  name: "users.update",
  summary: "Update a profile's display name (self or admin)",
  input: z.strictObject({ id, displayName: displayName.optional() }),
  output: ProfileDto,
  errors: ["invalid_argument", "unauthenticated", "permission_denied", "not_found", "conflict"],
  idempotent: false,
});

/** One page of profiles. */
export const ProfilePageDto = pageDto(ProfileDto, "ProfilePage");

/** `users.list`: profiles oldest first, page by page (admin). */
export const usersList = defineContract({
  name: "users.list",
  summary: "List profiles, oldest first (admin)",
  input: z.object(pageQuery),
  output: ProfilePageDto,
  errors: ["invalid_argument", "unauthenticated", "permission_denied"],
  idempotent: true,
});

/** Domain -> DTO. */
export function toProfileDto(p: Profile): ProfileDto {
  return {
    id: p.id,
    email: p.email,
    displayName: p.displayName,
    createdAt: p.createdAt.toISOString(),
    updatedAt: p.updatedAt.toISOString(),
  };
}

/** Domain page -> DTO page. */
export function toProfilePageDto(page: Page<Profile>): z.infer<typeof ProfilePageDto> {
  return toPageDto(page, toProfileDto);
}
