// Backend redirects are followed as KrakenD's Go HTTP client follows them.
import { afterAll, describe, expect, test } from "bun:test";
import { startBackend, startGateway, stopAll } from "../testing/harness.ts";

afterAll(stopAll);

// the same server under another host name: a redirect there goes to another host
const other = startBackend((req, url) =>
  Response.json({ host: "other", path: url.pathname, auth: req.headers.get("authorization") }),
);
const otherUrl = other.url.replace("127.0.0.1", "localhost");

const backend = startBackend(async (req, url) => {
  const p = url.pathname;
  const code = /^\/r\/(\d{3})$/.exec(p);
  if (code) return new Response(null, { status: Number(code[1]), headers: { location: "/target?from=r" } });
  const hops = /^\/chain\/(\d+)$/.exec(p);
  if (hops) {
    const n = Number(hops[1]);
    return n === 0
      ? Response.json({ end: true })
      : new Response(null, { status: 302, headers: { location: `/chain/${n - 1}` } });
  }
  if (p === "/deep/a/b") return new Response(null, { status: 301, headers: { location: "../c?x=1" } });
  if (p === "/away") return new Response(null, { status: 307, headers: { location: `${otherUrl}/there` } });
  if (p === "/near") return new Response(null, { status: 307, headers: { location: "/target" } });
  if (p === "/no-location") return new Response("see elsewhere", { status: 302 });
  if (p === "/ftp") return new Response(null, { status: 302, headers: { location: "ftp://x/y" } });
  return Response.json({
    method: req.method,
    path: p + url.search,
    body: await req.text(),
    type: req.headers.get("content-type"),
    auth: req.headers.get("authorization"),
  });
});

const viaPost = (status: number) => ({
  endpoint: `/post/${status}`,
  method: "POST",
  backend: [{ url_pattern: `/r/${status}`, method: "POST" }],
});

const gw = startGateway({
  host: [backend.url],
  endpoints: [
    ...[301, 302, 303, 307, 308].map(viaPost),
    { endpoint: "/get/{code}", backend: [{ url_pattern: "/r/{code}" }] },
    { endpoint: "/put/303", method: "PUT", backend: [{ url_pattern: "/r/303" }] },
    { endpoint: "/chain/{n}", backend: [{ url_pattern: "/chain/{n}" }] },
    { endpoint: "/deep", backend: [{ url_pattern: "/deep/a/b" }] },
    { endpoint: "/away", input_headers: ["Authorization"], backend: [{ url_pattern: "/away" }] },
    { endpoint: "/near", input_headers: ["Authorization"], backend: [{ url_pattern: "/near" }] },
    { endpoint: "/ftp", backend: [{ url_pattern: "/ftp" }] },
    { endpoint: "/noop/{code}", output_encoding: "no-op", backend: [{ url_pattern: "/r/{code}" }] },
    { endpoint: "/noop-none", output_encoding: "no-op", backend: [{ url_pattern: "/no-location" }] },
  ],
});

const post = (path: string) =>
  fetch(`${gw.url}${path}`, { method: "POST", body: '{"a":1}', headers: { "content-type": "application/json" } });

describe("backend redirects", () => {
  test("303, and 301 or 302 after a POST, repeat the call as a GET without the body", async () => {
    for (const status of [301, 302, 303]) {
      const res = await post(`/post/${status}`);
      expect(res.status).toBe(200);
      expect(await res.json()).toEqual({ method: "GET", path: "/target?from=r", body: "", type: null, auth: null });
    }
  });

  test("303 turns any other method into a GET as well, as Go's client does", async () => {
    const res = await fetch(`${gw.url}/put/303`, { method: "PUT", body: "x" });
    expect((await res.json()).method).toBe("GET");
  });

  test("307 and 308 repeat the call with its method and body", async () => {
    for (const status of [307, 308]) {
      const res = await post(`/post/${status}`);
      expect(res.status).toBe(200);
      expect(await res.json()).toMatchObject({
        method: "POST",
        path: "/target?from=r",
        body: '{"a":1}',
        type: "application/json",
      });
    }
  });

  test("a GET is followed through every redirect status", async () => {
    for (const status of [301, 302, 303, 307, 308]) {
      const res = await fetch(`${gw.url}/get/${status}`);
      expect(await res.json()).toMatchObject({ method: "GET", path: "/target?from=r" });
    }
  });

  test("nine redirects are followed; the tenth fails the backend as in Go's client", async () => {
    const nine = await fetch(`${gw.url}/chain/9`);
    expect(nine.status).toBe(200);
    expect(await nine.json()).toEqual({ end: true });
    const ten = await fetch(`${gw.url}/chain/10`);
    expect(ten.status).toBe(500);
    expect(await ten.text()).not.toContain("end");
  });

  test("a relative Location resolves against the URL called", async () => {
    const res = await fetch(`${gw.url}/deep`);
    expect((await res.json()).path).toBe("/deep/c?x=1");
  });

  test("a redirect to another host drops Authorization; one to the same host keeps it", async () => {
    const headers = { authorization: "Bearer secret" };
    const away = await fetch(`${gw.url}/away`, { headers });
    expect(await away.json()).toEqual({ host: "other", path: "/there", auth: null });
    const near = await fetch(`${gw.url}/near`, { headers });
    expect((await near.json()).auth).toBe("Bearer secret");
  });

  test("a Location that is not http(s) fails the backend", async () => {
    expect((await fetch(`${gw.url}/ftp`)).status).toBe(500);
  });

  test("a no-op endpoint follows redirects too and passes the final answer through", async () => {
    const res = await fetch(`${gw.url}/noop/302`, { redirect: "manual" });
    expect(res.status).toBe(200);
    expect((await res.json()).path).toBe("/target?from=r");
  });

  test("a redirect without a Location is not followed: a no-op endpoint passes it through", async () => {
    const res = await fetch(`${gw.url}/noop-none`, { redirect: "manual" });
    expect(res.status).toBe(302);
    expect(await res.text()).toBe("see elsewhere");
  });
});
