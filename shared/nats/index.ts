export {
  connectNats,
  type NatsSettings,
  type NatsUrl,
  natsConnectOptions,
  natsServers,
  natsSettingsFromEnv,
} from "./connect.ts";
