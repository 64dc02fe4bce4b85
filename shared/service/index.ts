export { migrateCommands, type OpenDatabase, openServiceDatabase } from "./database.ts";
export {
  defineServiceModule,
  type RunningService,
  type ServiceModule,
  type ServiceRuntime,
} from "./module.ts";
