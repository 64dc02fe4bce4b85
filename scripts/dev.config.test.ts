import { describe, expect, test } from "bun:test";
import { DEV_SERVICE_HOST, devModules, devServiceConfig } from "./dev.config.ts";

const options = { databaseUrl: "postgres://postgres@127.0.0.1:5432/shop", level: "info" };

describe("the dev stack's service config", () => {
  test("every service listens on loopback only, each on its own port", () => {
    const configs = devModules.map((m) => devServiceConfig(m, options));
    expect(DEV_SERVICE_HOST).toBe("127.0.0.1");
    for (const config of configs) expect(config.http.host).toBe("127.0.0.1");
    expect(configs.map((c) => c.http.port)).toEqual([8082, 8081, 8083, 8084, 8085]);
  });

  test("a HOST or PORT in the environment moves no service", () => {
    const saved = { HOST: process.env.HOST, PORT: process.env.PORT };
    process.env.HOST = "0.0.0.0";
    process.env.PORT = "9999";
    try {
      for (const m of devModules) expect(devServiceConfig(m, options).http.host).toBe("127.0.0.1");
    } finally {
      for (const [k, v] of Object.entries(saved)) {
        if (v === undefined) delete process.env[k];
        else process.env[k] = v;
      }
    }
  });

  test("only auth gets the first admin", () => {
    const admin = { email: "admin@shop.test", password: "a-long-admin-password" };
    const configs = devModules.map((m) => [m.name, devServiceConfig(m, { ...options, admin })] as const);
    for (const [name, config] of configs) {
      const got = (config as { bootstrapAdmin?: unknown }).bootstrapAdmin;
      if (name === "auth") expect(got).toMatchObject({ email: admin.email });
      else expect(got).toBeUndefined();
    }
  });
});
