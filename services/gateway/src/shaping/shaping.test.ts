import { afterAll, describe, expect, test } from "bun:test";
import { startBackend, startGateway, stopAll } from "../testing/harness.ts";
import { compileShaping } from "./shaping.ts";

afterAll(stopAll);

const doc = () => ({
  data: { user: { id: 1, name: "Ada", password: "x", address: { city: "Paris", zip: "75" } }, meta: 1 },
  other: true,
});
const items = () => [
  { id: 1, name: "a", secret: "s1", tags: ["x"] },
  { id: 2, name: "b", secret: "s2", tags: ["y"] },
];

const backend = startBackend((_req, url) => {
  if (url.pathname === "/list") return Response.json(items());
  if (url.pathname === "/text") return new Response("plain words");
  if (url.pathname === "/scalar") return Response.json(42);
  return Response.json(doc());
});

const endpoint = (path: string, be: Record<string, unknown>, extra: Record<string, unknown> = {}) => ({
  endpoint: path,
  backend: [{ host: [backend.url], url_pattern: "/doc", ...be }],
  ...extra,
});

const gw = startGateway({
  endpoints: [
    endpoint("/target", { target: "data.user" }),
    endpoint("/allow", { target: "data", allow: ["user.name", "user.address.city", "meta"] }),
    endpoint("/deny", { deny: ["data.user.password", "other"] }),
    endpoint("/mapping", { target: "data", mapping: { user: "person", meta: "m" } }),
    endpoint("/group", { target: "data.user", allow: ["name"], group: "profile" }),
    endpoint("/order", { target: "data", allow: ["user"], mapping: { user: "who" }, group: "g" }),
    endpoint("/collection", { url_pattern: "/list", is_collection: true }),
    endpoint("/collection-out", { url_pattern: "/list", is_collection: true }, { output_encoding: "json-collection" }),
    endpoint("/flat-del", {
      url_pattern: "/list",
      is_collection: true,
      extra_config: { proxy: { flatmap_filter: [{ type: "del", args: ["collection.*.secret"] }] } },
    }),
    endpoint("/flat-move", {
      url_pattern: "/list",
      is_collection: true,
      extra_config: {
        proxy: {
          flatmap_filter: [
            { type: "move", args: ["collection.*.name", "collection.*.title"] },
            { type: "move", args: ["collection", "items"] },
          ],
        },
      },
    }),
    endpoint("/flat-append", {
      url_pattern: "/list",
      is_collection: true,
      extra_config: {
        proxy: {
          flatmap_filter: [
            { type: "append", args: ["collection.0.tags", "collection.1.tags"] },
            { type: "del", args: ["collection.0"] },
          ],
        },
      },
    }),
    endpoint("/string-in", { url_pattern: "/text", encoding: "string" }),
    endpoint("/string-out", { url_pattern: "/text", encoding: "string" }, { output_encoding: "string" }),
    endpoint("/safejson-list", { url_pattern: "/list", encoding: "safejson" }),
    endpoint("/safejson-scalar", { url_pattern: "/scalar", encoding: "safejson" }),
    endpoint("/json-array-without-collection", { url_pattern: "/list" }),
  ],
});

const get = async (path: string) => {
  const res = await fetch(`${gw.url}${path}`);
  return { status: res.status, type: res.headers.get("content-type"), text: await res.text() };
};
const json = async (path: string) => JSON.parse((await get(path)).text);

describe("response shaping", () => {
  test("target keeps only the object under the path", async () => {
    expect(await json("/target")).toEqual({ id: 1, name: "Ada", password: "x", address: { city: "Paris", zip: "75" } });
  });

  test("allow keeps only the listed (nested) fields", async () => {
    expect(await json("/allow")).toEqual({ user: { name: "Ada", address: { city: "Paris" } }, meta: 1 });
  });

  test("deny removes the listed (nested) fields", async () => {
    expect(await json("/deny")).toEqual({
      data: { user: { id: 1, name: "Ada", address: { city: "Paris", zip: "75" } }, meta: 1 },
    });
  });

  test("mapping renames top-level fields", async () => {
    const body = await json("/mapping");
    expect(Object.keys(body).sort()).toEqual(["m", "person"]);
    expect(body.person.name).toBe("Ada");
  });

  test("group wraps the backend answer under a key", async () => {
    expect(await json("/group")).toEqual({ profile: { name: "Ada" } });
  });

  test("rules apply in KrakenD's order: target, allow, mapping, group", async () => {
    const body = await json("/order");
    expect(Object.keys(body)).toEqual(["g"]);
    expect(Object.keys(body.g)).toEqual(["who"]);
    expect(body.g.who.name).toBe("Ada");
  });

  test("is_collection puts an array under the collection key", async () => {
    expect(await json("/collection")).toEqual({ collection: items() });
  });

  test("json-collection output returns the collection as a top-level array", async () => {
    expect(await json("/collection-out")).toEqual(items());
  });

  test("flatmap del removes a field from every element", async () => {
    const body = await json("/flat-del");
    expect(body.collection.map((i: Record<string, unknown>) => Object.keys(i).sort())).toEqual([
      ["id", "name", "tags"],
      ["id", "name", "tags"],
    ]);
  });

  test("flatmap move renames inside every element and moves the list", async () => {
    const body = await json("/flat-move");
    expect(body.collection).toBeUndefined();
    expect(body.items.map((i: Record<string, unknown>) => i.title)).toEqual(["a", "b"]);
    expect(body.items[0].name).toBeUndefined();
  });

  test("flatmap append joins one list onto another", async () => {
    const body = await json("/flat-append");
    expect(body.collection).toEqual([{ id: 2, name: "b", secret: "s2", tags: ["y", "x"] }]);
  });

  test("string encoding puts the body under content", async () => {
    expect(await json("/string-in")).toEqual({ content: "plain words" });
  });

  test("string output renders content as text", async () => {
    const res = await get("/string-out");
    expect(res.text).toBe("plain words");
    expect(res.type).toStartWith("text/plain");
  });

  test("safejson wraps arrays in collection and scalars in content", async () => {
    expect(await json("/safejson-list")).toEqual({ collection: items() });
    expect(await json("/safejson-scalar")).toEqual({ content: 42 });
  });

  test("json encoding refuses an array without is_collection", async () => {
    expect((await get("/json-array-without-collection")).status).toBe(500);
  });
});

describe("compileShaping", () => {
  test("a backend without rules returns its data untouched", () => {
    const data = { a: 1 };
    expect(compileShaping({})(data)).toBe(data);
  });

  test("a target that is missing yields an empty object", () => {
    expect(compileShaping({ target: "x.y" })({ a: 1 })).toEqual({});
  });
});
