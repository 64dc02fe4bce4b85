import { describe, expect, test } from "bun:test";
import { extractKeys } from "./krakend-keys.gen.ts";
import keys from "./krakend-keys.json";

describe("KrakenD's keys", () => {
  test("the extraction reads the property names of each schema document, sorted", () => {
    const docs: Record<string, unknown> = {
      "_root.json": { properties: { version: {}, port: {}, tls: {} } },
      "endpoint.json": { properties: { endpoint: {}, backend: {} } },
      "backend.json": { properties: { url_pattern: {}, sd: {} } },
      "service_extra_config.json": { properties: { "security/cors": {} } },
      "endpoint_extra_config.json": { properties: { proxy: {}, "auth/validator": {} } },
      "backend_extra_config.json": { properties: { "qos/http-cache": {} } },
    };
    const out = extractKeys("v9.9", (file) => docs[file]);
    expect(out.service).toEqual(["port", "tls", "version"]);
    expect(out.endpoint).toEqual(["backend", "endpoint"]);
    expect(out.namespaces.endpoint).toEqual(["auth/validator", "proxy"]);
    expect(out.source).toContain("https://www.krakend.io/schema/v9.9/krakend.json");
    expect(() => extractKeys("v9.9", () => ({}))).toThrow("without properties");
  });

  test("the committed list names its source and holds every level", () => {
    expect(keys.source).toContain("krakend/krakend-schema");
    expect(keys.service).toContain("listen_ip");
    expect(keys.endpoint).toContain("concurrent_calls");
    expect(keys.backend).toContain("sd");
    expect(keys.namespaces.backend).toContain("qos/http-cache");
  });
});
