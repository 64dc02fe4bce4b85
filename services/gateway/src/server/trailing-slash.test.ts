// KrakenD's router (gin's RedirectTrailingSlash): a path routed only without its trailing slash, or only
// with one, is redirected to the routed path: 301 for a GET, 307 for every other method.
import { afterAll, describe, expect, test } from "bun:test";
import { startBackend, startGateway, stopAll } from "../testing/harness.ts";

afterAll(stopAll);

const backend = startBackend((req, url) => Response.json({ method: req.method, path: url.pathname }));
const gw = startGateway({
  host: [backend.url],
  endpoints: [
    { endpoint: "/users", methods: ["GET", "POST", "PUT", "DELETE"], backend: [{ url_pattern: "/users" }] },
    { endpoint: "/files/", backend: [{ url_pattern: "/files" }] },
  ],
});

const get = (path: string, method = "GET") => fetch(`${gw.url}${path}`, { method, redirect: "manual" });

describe("trailing slashes", () => {
  test("a GET of /users/ on a route declared as /users is a 301 to /users, with the query kept", async () => {
    const res = await get("/users/?page=2&q=a%20b");
    expect(res.status).toBe(301);
    expect(res.headers.get("location")).toBe("/users?page=2&q=a%20b");
    expect(backend.seen).toHaveLength(0);
  });

  test("any other method is a 307, so the client repeats it with its body", async () => {
    for (const method of ["POST", "PUT", "DELETE"]) {
      const res = await get("/users/", method);
      expect(res.status).toBe(307);
      expect(res.headers.get("location")).toBe("/users");
    }
  });

  test("the other way round: /files on a route declared as /files/ redirects to /files/", async () => {
    const res = await get("/files");
    expect(res.status).toBe(301);
    expect(res.headers.get("location")).toBe("/files/");
  });

  test("a client following the redirect reaches the route", async () => {
    const res = await fetch(`${gw.url}/users/`);
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({ method: "GET", path: "/users" });
  });

  test("a method the twin does not route stays a 404, and so does a path without a twin", async () => {
    expect((await get("/files", "POST")).status).toBe(404);
    expect((await get("/nothing/")).status).toBe(404);
  });
});
