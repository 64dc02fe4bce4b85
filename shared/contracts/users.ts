// API contracts of the users service that other services may call (versioned with the platform).
import { z } from "@hono/zod-openapi";
import { defineContract } from "../endpoint/contract.ts";

/** A user's profile as every transport shows it. */
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

/** `users.get`: one profile by id (self or admin). */
export const usersGet = defineContract({
  name: "users.get",
  summary: "Get a profile (self or admin)",
  input: z.object({
    id: z.uuid().openapi({ param: { name: "id", in: "path" }, example: "0190d9a4-6b1e-7c3a-9f51-2b9d3c4e5f60" }),
  }),
  output: ProfileDto,
  errors: ["invalid_argument", "unauthenticated", "permission_denied", "not_found"],
  idempotent: true,
});
