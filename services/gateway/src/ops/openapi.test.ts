import { describe, expect, test } from "bun:test";
import type { GatewayRuntime } from "../proxy/endpoint.build.ts";
import { openApiFromConfig } from "./openapi.ts";

// Just the fields the document reads, for two endpoints: a public one to one backend, and an
// authenticated merge of two.
const runtime = {
  endpoints: [
    {
      path: "/api/users/{id}",
      method: "GET",
      params: ["id"],
      wildcard: false,
      inputQuery: { all: true, names: new Set() },
      auth: null,
      backends: [
        {
          hosts: ["http://users"],
          method: null,
          url: {
            parts: [
              { t: "lit", v: "/users/" },
              { t: "param", i: 0 },
              { t: "lit", v: "?x=1" },
            ],
            wildcard: false,
          },
        },
      ],
    },
    {
      path: "/api/me",
      method: "GET",
      params: [],
      wildcard: false,
      inputQuery: { all: true, names: new Set() },
      auth: {},
      backends: [
        { hosts: ["http://users"], method: null, url: { parts: [{ t: "lit", v: "/users/me" }], wildcard: false } },
        { hosts: ["http://orders"], method: null, url: { parts: [{ t: "lit", v: "/orders" }], wildcard: false } },
      ],
    },
  ],
} as unknown as GatewayRuntime;

describe("openApiFromConfig", () => {
  const doc = openApiFromConfig(runtime, { title: "t", version: "1" }) as {
    servers: unknown;
    paths: Record<string, Record<string, Record<string, unknown>>>;
  };
  const user = doc.paths["/api/users/{id}"]!.get!;
  const me = doc.paths["/api/me"]!.get!;

  test("names the gateway's own origin as the server", () => {
    expect(doc.servers).toEqual([{ url: "/" }]);
  });

  test("gives every operation a summary: the backend it forwards to, or how many it merges", () => {
    expect(user.summary).toBe("Forwards to GET /users/{id}");
    expect(me.summary).toBe("Merges 2 backends");
  });

  test("marks public endpoints with an empty security list and authenticated ones with the bearer scheme", () => {
    expect(user.security).toEqual([]);
    expect(me.security).toEqual([{ bearer: [] }]);
  });

  test("prefers the backend's own summary when its spec is known", () => {
    const specs = new Map([
      ["http://users", { paths: { "/users/{userId}": { get: { summary: "Get a profile", responses: {} } } } }],
    ]);
    const merged = openApiFromConfig(runtime, { title: "t", version: "1" }, specs) as typeof doc;
    expect(merged.paths["/api/users/{id}"]!.get!.summary).toBe("Get a profile");
    expect(merged.paths["/api/users/{id}"]!.get!.operationId).toBe("getApiUsersId");
  });
});
