// The shop's own gateway.json: who may read and write the catalog, and what every token check demands.
import { describe, expect, test } from "bun:test";
import { join } from "node:path";
import { parseValidatorConfig } from "../security/jwt.config.ts";
import { loadConfigFile } from "./config.load.ts";
import type { EndpointConfig } from "./config.schema.ts";

const { config } = loadConfigFile(join(import.meta.dir, "..", "..", "gateway.json"), {});
const validatorOf = (ep: EndpointConfig) => ep.extra_config?.["auth/validator"];
const find = (path: string, method: string) => {
  const ep = config.endpoints.find((e) => e.endpoint === path && (e.method ?? "GET") === method);
  if (!ep) throw new Error(`${method} ${path} is not in gateway.json`);
  return ep;
};

describe("the shop's gateway.json", () => {
  test("the product list and one product are public: no token check, no token forwarded, cacheable", () => {
    for (const path of ["/api/products", "/api/products/{id}"]) {
      const ep = find(path, "GET");
      expect(validatorOf(ep)).toBeUndefined();
      expect(ep.input_headers ?? []).not.toContain("Authorization");
      expect(ep.cache_ttl).toBeDefined();
      expect(ep.backend[0]?.extra_config?.["qos/http-cache"]).toBeDefined();
    }
  });

  test("every catalog write and the admin's catalog view need the admin role", () => {
    const adminOnly = config.endpoints.filter(
      (e) => /^\/api\/(admin\/)?products/.test(e.endpoint) && !(e.method === "GET" && !e.endpoint.includes("admin")),
    );
    expect(adminOnly.map((e) => `${e.method} ${e.endpoint}`).sort()).toEqual([
      "GET /api/admin/products",
      "GET /api/admin/products/{id}",
      "PATCH /api/products/{id}",
      "POST /api/products",
      "POST /api/products/{id}/deactivate",
    ]);
    for (const ep of adminOnly) expect(parseValidatorConfig(validatorOf(ep)).roles).toEqual(["admin"]);
  });

  test("every token check wants auth's issuer, audience and access-token type, and an expiry", () => {
    const checked = config.endpoints.filter((e) => validatorOf(e) !== undefined);
    expect(checked.length).toBeGreaterThan(10);
    for (const ep of checked) {
      expect(parseValidatorConfig(validatorOf(ep))).toMatchObject({
        issuer: "shop-auth",
        audience: ["shop"],
        typ: "at+jwt",
        allow_missing_exp: false,
      });
    }
  });
});
