import { describe, expect, test } from "bun:test";
import { completeOperations, operationIdFor } from "./operations.ts";

describe("operationIdFor", () => {
  test("joins the method and the path's words in camel case", () => {
    expect(operationIdFor("POST", "/auth/users/{id}/roles")).toBe("postAuthUsersIdRoles");
    expect(operationIdFor("get", "/.well-known/jwks.json")).toBe("getWellKnownJwksJson");
  });
});

type Doc = { paths: Record<string, Record<string, Record<string, unknown> | unknown[]>> };
const op = (doc: Doc, path: string, key: string) => doc.paths[path]![key] as Record<string, unknown>;

describe("completeOperations", () => {
  test("marks operations without security as public and keeps declared security", () => {
    const doc = completeOperations<Doc>({
      paths: {
        "/a": { get: { operationId: "a.get" }, post: { operationId: "a.post", security: [{ gatewayIdentity: [] }] } },
      },
    });
    expect(op(doc, "/a", "get")).toEqual({ operationId: "a.get", security: [] });
    expect(op(doc, "/a", "post").security).toEqual([{ gatewayIdentity: [] }]);
  });

  test("names unnamed operations from method and path, never reusing an id, and leaves path-level fields alone", () => {
    const doc = completeOperations<Doc>({
      paths: { "/b/{id}": { parameters: [], get: {}, put: { operationId: "getBId" } } },
    });
    expect(op(doc, "/b/{id}", "get").operationId).toBe("getBId2");
    expect(op(doc, "/b/{id}", "put").operationId).toBe("getBId");
    expect(doc.paths["/b/{id}"]!.parameters).toEqual([]);
  });
});
