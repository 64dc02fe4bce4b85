export { createServiceApp, type ServiceAppOptions, type ServiceInfo, serviceApiDocument } from "./app.ts";
export { grantCommand, migrateCommands, type OpenDatabase, openServiceDatabase } from "./database.ts";
export { runServiceMain, type ServiceMainOptions, type ServiceTools } from "./main.ts";
export {
  defineServiceModule,
  type RunningService,
  type ServiceModule,
  type ServiceRuntime,
} from "./module.ts";
export { migrateOnStart, serveService, serviceAppOptions, serviceMetrics } from "./serve.ts";
