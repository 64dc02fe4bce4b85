import { describe, expect, test } from "bun:test";
import { completeOperations, operationIdFor } from "./operations.ts";

describe("operationIdFor", () => {
  test("joins the method and the path's words in camel case", () => {
    expect(operationIdFor("POST", "/auth/users/{id}/roles")).toBe("postAuthUsersIdRoles");
    expect(operationIdFor("get", "/.well-known/jwks.json")).toBe("getWellKnownJwksJson");
  });
});

describe("completeOperations", () => {
  test("marks operations without security as public and keeps declared security", () => {
    const doc = completeOperations({
      paths: {
        "/a": { get: { operationId: "a.get" }, post: { operationId: "a.post", security: [{ gatewayIdentity: [] }] } },
      },
    });
    expect(doc.paths["/a"].get).toEqual({ operationId: "a.get", security: [] });
    expect(doc.paths["/a"].post.security).toEqual([{ gatewayIdentity: [] }]);
  });

  test("names unnamed operations from method and path, never reusing an id, and leaves path-level fields alone", () => {
    const doc = completeOperations({
      paths: {
        "/b/{id}": { parameters: [], get: {} as Record<string, unknown>, put: { operationId: "getBId" } },
      },
    });
    expect(doc.paths["/b/{id}"].get.operationId).toBe("getBId2");
    expect(doc.paths["/b/{id}"].put.operationId).toBe("getBId");
    expect(doc.paths["/b/{id}"].parameters).toEqual([]);
  });
});
