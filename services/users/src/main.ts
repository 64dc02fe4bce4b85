// The users binary's composition root: the kit's service main with the users module.
import { runServiceMain } from "@shared/service";
import { createApiDocument } from "./app.ts";
import { migrations, usersModule } from "./server.ts";

runServiceMain({
  module: usersModule,
  migrations,
  description: "User profiles: create, read, update, list.",
  openapi: createApiDocument,
}).then((code) => process.exit(code));
