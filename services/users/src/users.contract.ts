import { z } from "@hono/zod-openapi";
import type { Page, Profile } from "./users.model.ts";

/** A profile as the API shows it (HTTP and NATS alike). */
export const ProfileDto = z
  .object({
    id: z.uuid(),
    email: z.email(),
    displayName: z.string(),
    createdAt: z.iso.datetime(),
    updatedAt: z.iso.datetime(),
  })
  .openapi("Profile");
export type ProfileDto = z.infer<typeof ProfileDto>;

const displayName = z.string().trim().min(1).max(100);
const email = z.email().max(254);

/** Body of a profile creation. */
export const CreateProfileBody = z
  .object({ id: z.uuid().optional(), email, displayName })
  .strict()
  .openapi("CreateProfile");

/** Body of a profile update: at least one field. */
export const UpdateProfileBody = z
  .object({ email: email.optional(), displayName: displayName.optional() })
  .strict()
  .openapi("UpdateProfile");

/** Path parameters naming one profile. */
export const ProfileIdParams = z.object({
  id: z.uuid().openapi({ param: { name: "id", in: "path" }, example: "0190d9a4-6b1e-7c3a-9f51-2b9d3c4e5f60" }),
});

/** Query of the profile listing. */
export const ListProfilesQuery = z.object({
  cursor: z
    .string()
    .max(200)
    .optional()
    .openapi({ param: { name: "cursor", in: "query" } }),
  limit: z.coerce
    .number()
    .int()
    .min(1)
    .max(100)
    .default(20)
    .openapi({ param: { name: "limit", in: "query" } }),
});

/** One page of profiles. */
export const ProfilePageDto = z
  .object({ items: z.array(ProfileDto), nextCursor: z.string().nullable() })
  .openapi("ProfilePage");

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
  return { items: page.items.map(toProfileDto), nextCursor: page.nextCursor };
}
