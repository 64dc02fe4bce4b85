// The users binary's composition root: the kit's service main with the users module.
import { runServiceMain } from "@shared/service";
import { createApiDocument } from "./users.app.ts";
import { migrations, usersModule } from "./users.module.ts";

runServiceMain({
  module: usersModule,
  migrations,
  description: "User profiles: create, read, update, list.",
  openapi: createApiDocument,
}).then((code) => process.exit(code));
