import { defineServiceConfig } from "@shared/config";
import { idempotencyConfigSchema } from "@shared/idempotency";
import { z } from "zod";

/** The catalog service's config: the kit's sections plus its own keys. */
export const catalogConfigSchema = defineServiceConfig(
  "catalog",
  {
    cache: z
      .object({
        listMaxAgeSec: z.number().int().nonnegative().default(30).describe("max-age of public product listings"),
        itemMaxAgeSec: z.number().int().nonnegative().default(60).describe("max-age of a public product"),
      })
      .prefault({}),
    idempotency: idempotencyConfigSchema().prefault({}),
  },
  { port: 8083 },
);

/** Resolved catalog config. */
export type CatalogConfig = z.output<typeof catalogConfigSchema>;
