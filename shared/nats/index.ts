export { connectNats, type NatsSettings, natsConnectOptions, natsSettingsFromEnv } from "./connect.ts";
