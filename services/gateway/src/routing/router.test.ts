import { describe, expect, test } from "bun:test";
import { RouteTable } from "./router.ts";

const table = new RouteTable([
  { method: "GET", path: "/", value: "root" },
  { method: "GET", path: "/api/orders", value: "list" },
  { method: "POST", path: "/api/orders", value: "create" },
  { method: "GET", path: "/api/orders/{id}", value: "get" },
  { method: "GET", path: "/api/orders/{id}/details", value: "details" },
  { method: "GET", path: "/api/orders/mine", value: "mine" },
  { method: "GET", path: "/api/files/*", value: "files" },
  { method: "GET", path: "/api/a/{x}/c", value: "param-c" },
  { method: "GET", path: "/api/a/b/d", value: "static-d" },
]);

const match = (method: string, path: string) => {
  const r = table.lookup(method, path);
  return r.kind === "match" ? { value: r.match.value, params: r.match.params, rest: r.match.rest } : r.kind;
};

describe("route table", () => {
  test("a literal segment wins over a parameter", () => {
    expect(match("GET", "/api/orders/mine")).toEqual({ value: "mine", params: [], rest: null });
    expect(match("GET", "/api/orders/42")).toEqual({ value: "get", params: ["42"], rest: null });
  });

  test("parameters are captured in path order", () => {
    expect(match("GET", "/api/orders/7/details")).toEqual({ value: "details", params: ["7"], rest: null });
  });

  test("a dead-end literal branch falls back to the parameter branch", () => {
    expect(match("GET", "/api/a/b/c")).toEqual({ value: "param-c", params: ["b"], rest: null });
  });

  test("a wildcard takes the rest of the path", () => {
    expect(match("GET", "/api/files/x/y.txt")).toEqual({ value: "files", params: [], rest: "x/y.txt" });
    // the wildcard's own root is reached through a redirect to it with its slash (below)
    expect(match("GET", "/api/files")).toBe("redirect");
  });

  test("methods are distinguished and a known path under another method is reported", () => {
    expect(match("POST", "/api/orders")).toEqual({ value: "create", params: [], rest: null });
    expect(table.lookup("DELETE", "/api/orders")).toEqual({ kind: "method", allow: ["GET", "POST"] });
  });

  test("empty segments and unknown paths do not match", () => {
    expect(match("GET", "/api//orders")).toBe("none");
    expect(match("GET", "/nope")).toBe("none");
    expect(match("GET", "")).toBe("none");
    expect(match("GET", "/")).toEqual({ value: "root", params: [], rest: null });
  });

  test("a literal path answers from its own table exactly as the trie would, shared and unchangeable", () => {
    const first = table.lookup("GET", "/api/orders/mine");
    expect(first).toEqual({ kind: "match", match: { value: "mine", params: [], rest: null } });
    // the same answer object every time: nothing is allocated for a literal route
    expect(table.lookup("GET", "/api/orders/mine")).toBe(first);
    if (first.kind === "match") expect(() => first.match.params.push("x")).toThrow();
    expect(table.lookup("PUT", "/api/a/b/d")).toEqual({ kind: "method", allow: ["GET"] });
    const last = new RouteTable([
      { method: "GET", path: "/x", value: "one" },
      { method: "GET", path: "/x", value: "two" },
    ]);
    expect(last.lookup("GET", "/x")).toMatchObject({ match: { value: "two" } });
  });

  test("a path routed only without its trailing slash, or only with one, redirects to the routed one", () => {
    expect(table.lookup("GET", "/api/orders/")).toEqual({ kind: "redirect", path: "/api/orders" });
    expect(table.lookup("POST", "/api/orders/")).toEqual({ kind: "redirect", path: "/api/orders" });
    expect(table.lookup("GET", "/api/orders/7/details/")).toEqual({ kind: "redirect", path: "/api/orders/7/details" });
    expect(table.lookup("GET", "/api/files")).toEqual({ kind: "redirect", path: "/api/files/" });
    const slashed = new RouteTable([{ method: "GET", path: "/users/", value: "users" }]);
    expect(slashed.lookup("GET", "/users")).toEqual({ kind: "redirect", path: "/users/" });
  });

  test("the twin must be routed for the request's method, and never becomes a protocol-relative path", () => {
    expect(table.lookup("DELETE", "/api/orders/")).toEqual({ kind: "none" });
    const rooted = new RouteTable([{ method: "GET", path: "/{x}", value: "x" }]);
    expect(rooted.lookup("GET", "//evil.example/")).toEqual({ kind: "none" });
  });
});
