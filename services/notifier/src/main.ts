// The notifier binary's composition root: the kit's service main with the notifier module.
import { runServiceMain } from "@shared/service";
import { createApiDocument } from "./notifier.app.ts";
import { migrations, notifierModule } from "./notifier.module.ts";

runServiceMain({
  module: notifierModule,
  migrations,
  description: "Notifications made from the shop's events; list your own and mark them read.",
  openapi: createApiDocument,
}).then((code) => process.exit(code));
