import { describe, expect, test } from "bun:test";
import { z } from "zod";
import { defineServiceConfig } from "./base.ts";
import { loadConfig } from "./load.ts";
import { isSecret, redact, secret } from "./secret.ts";

describe("secret and redact", () => {
  const schema = z.object({
    name: z.string(),
    token: secret(z.string()).optional(),
    wrapped: secret(z.string().optional()),
    nested: z.object({ keys: z.array(z.object({ id: z.string(), value: secret(z.string()) })) }),
    url: secret(z.string()),
  });
  const value = {
    name: "visible",
    token: "t0ken",
    wrapped: "w",
    nested: { keys: [{ id: "k1", value: "v1" }] },
    url: "postgres://app:s3cret@db:5432/shop?sslmode=require",
  };

  test("a field marked secret inside or outside optional() is recognised as secret", () => {
    expect(isSecret(schema.shape.token)).toBe(true);
    expect(isSecret(schema.shape.wrapped)).toBe(true);
    expect(isSecret(schema.shape.name)).toBe(false);
  });

  test("secret values are replaced, nested ones and those inside arrays too, and other values stay", () => {
    const shown = redact(schema, value);
    expect(shown.name).toBe("visible");
    expect(shown.token).toBe("[redacted]");
    expect(shown.wrapped).toBe("[redacted]");
    expect(shown.nested.keys).toEqual([{ id: "k1", value: "[redacted]" }]);
  });

  test("a secret URL keeps its user, host and database but not its password", () => {
    expect(redact(schema, value).url).toBe("postgres://app:[redacted]@db:5432/shop?sslmode=require");
  });

  test("a secret URL without a password and an unset secret are shown as they are", () => {
    const shown = redact(schema, { ...value, url: "postgres://app@db/shop", token: undefined });
    expect(shown.url).toBe("postgres://app@db/shop");
    expect(shown.token).toBeUndefined();
  });

  test("redact leaves the original value untouched", () => {
    const copy = structuredClone(value);
    redact(schema, value);
    expect(value).toEqual(copy);
  });

  test("the base sections mark db.url and nats.url secret", () => {
    const service = defineServiceConfig("orders", {}, { port: 3004 });
    const config = loadConfig({
      schema: service,
      env: { DATABASE_URL: "postgres://o:pw@h/db", NATS_URL: "nats://u:pw@n:4222" },
    });
    const shown = redact(service, config);
    expect(shown.db.url).toBe("postgres://o:[redacted]@h/db");
    expect(shown.nats.url).toBe("nats://u:[redacted]@n:4222");
    expect(shown.http.port).toBe(3004);
  });

  test("each URL of a NATS server list keeps its shape with only its password hidden", () => {
    const service = defineServiceConfig("orders", {}, { port: 3004 });
    const env = { NATS_URL: "nats://u:pw@a:4222,nats://b:4222" };
    expect(redact(service, loadConfig({ schema: service, env })).nats.url).toBe(
      "nats://u:[redacted]@a:4222,nats://b:4222",
    );
    const listed = {
      ...loadConfig({ schema: service, env: {} }),
      nats: { url: ["nats://u:pw@a:4222", "nats://b:4222"] },
    };
    expect(redact(service, listed).nats.url).toEqual(["nats://u:[redacted]@a:4222", "nats://b:4222"]);
  });
});
