import { defineServiceConfig } from "@shared/config";
import { identityConfigSchema } from "@shared/identity";
import { z } from "zod";

/** The users service's config: the kit's sections plus its own keys. */
export const usersConfigSchema = defineServiceConfig(
  "users",
  {
    migrateOnStart: z.boolean().default(true).describe("apply pending migrations before serving"),
    identity: identityConfigSchema().prefault({}),
  },
  { port: 8081 },
);

/** Resolved users config. */
export type UsersConfig = z.output<typeof usersConfigSchema>;
