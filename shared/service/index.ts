export { migrateCommands, type OpenDatabase, openServiceDatabase } from "./database.ts";
