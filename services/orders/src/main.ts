// The orders binary's composition root: the kit's service main with the orders module.
import { runServiceMain } from "@shared/service";
import { createApiDocument } from "./orders.app.ts";
import { migrations, ordersModule } from "./orders.module.ts";

runServiceMain({
  module: ordersModule,
  migrations,
  description: "Orders: place at catalog prices, list, get, cancel.",
  openapi: createApiDocument,
}).then((code) => process.exit(code));
