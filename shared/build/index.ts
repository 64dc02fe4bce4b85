export { buildVersion, DEV_VERSION } from "./version.ts";
