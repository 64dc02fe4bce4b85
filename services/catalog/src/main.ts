// The catalog binary's composition root: the kit's service main with the catalog module.
import { runServiceMain } from "@shared/service";
import { createApiDocument } from "./catalog.app.ts";
import { catalogModule, migrations } from "./catalog.module.ts";

runServiceMain({
  module: catalogModule,
  migrations,
  description: "Products, prices and stock: public reads, admin writes, catalog.products.get for other services.",
  openapi: createApiDocument,
}).then((code) => process.exit(code));
