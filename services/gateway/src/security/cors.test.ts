import { describe, expect, test } from "bun:test";
import { toResponse } from "../transport/answer.ts";
import type { Answer } from "../transport/transport.ts";
import { createCors } from "./cors.ts";

const answer = (status: number, body: string | null = null): Answer => ({ status, headers: [], body });
const asResponse = (a: Answer | null) => (a ? toResponse(a) : null);

const preflightReq = (origin: string, method: string, headers?: string) =>
  new Request("http://gw/api/orders", {
    method: "OPTIONS",
    headers: {
      origin,
      "access-control-request-method": method,
      ...(headers ? { "access-control-request-headers": headers } : {}),
    },
  });

describe("security/cors", () => {
  test("with KrakenD's defaults a preflight from any origin for GET is allowed with a wildcard origin", () => {
    const res = asResponse(createCors({}).preflight(preflightReq("https://a.example", "GET")));
    expect(res?.status).toBe(204);
    expect(res?.headers.get("access-control-allow-origin")).toBe("*");
    expect(res?.headers.get("access-control-allow-methods")).toBe("GET");
    expect(res?.headers.get("access-control-max-age")).toBeNull();
  });

  test("with the defaults a preflight for DELETE or for an unlisted request header gets no allow headers", () => {
    const cors = createCors({});
    expect(
      asResponse(cors.preflight(preflightReq("https://a.example", "DELETE")))?.headers.get(
        "access-control-allow-origin",
      ),
    ).toBe(null);
    const withHeader = asResponse(cors.preflight(preflightReq("https://a.example", "POST", "Authorization")));
    expect(withHeader?.headers.get("access-control-allow-origin")).toBeNull();
  });

  test("a configured preflight echoes the origin, method and headers, with credentials and max age", () => {
    const cors = createCors({
      allow_origins: ["https://shop.example", "https://*.shop.example"],
      allow_methods: ["GET", "POST", "DELETE"],
      allow_headers: ["Authorization", "Content-Type"],
      max_age: "12h",
      allow_credentials: true,
    });
    const res = asResponse(
      cors.preflight(preflightReq("https://admin.shop.example", "delete", "authorization, content-type")),
    )!;
    expect(res.status).toBe(204);
    expect(res.headers.get("access-control-allow-origin")).toBe("https://admin.shop.example");
    expect(res.headers.get("access-control-allow-methods")).toBe("DELETE");
    expect(res.headers.get("access-control-allow-headers")).toBe("authorization, content-type");
    expect(res.headers.get("access-control-allow-credentials")).toBe("true");
    expect(res.headers.get("access-control-max-age")).toBe("43200");
    expect(res.headers.get("vary")).toContain("Origin");
    const foreign = asResponse(cors.preflight(preflightReq("https://evil.example", "GET")))!;
    expect(foreign.headers.get("access-control-allow-origin")).toBeNull();
  });

  test("an OPTIONS request that is not a preflight is left to the router", () => {
    const cors = createCors({});
    expect(cors.preflight(new Request("http://gw/x", { method: "OPTIONS" }))).toBeNull();
    expect(cors.preflight(new Request("http://gw/x", { method: "GET", headers: { origin: "https://a" } }))).toBeNull();
  });

  test("a 403 answered by the gateway still carries the CORS headers so the browser can read it", () => {
    const cors = createCors({ allow_origins: ["https://shop.example"], expose_headers: ["X-Request-Id"] });
    const req = new Request("http://gw/api/admin", { headers: { origin: "https://shop.example" } });
    const res = toResponse(cors.apply(req, answer(403, '{"title":"Forbidden"}')));
    expect(res.status).toBe(403);
    expect(res.headers.get("access-control-allow-origin")).toBe("https://shop.example");
    expect(res.headers.get("access-control-expose-headers")).toBe("X-Request-Id");
    expect(res.headers.get("vary")).toBe("Origin");
  });

  test("a vary header the backend sent is kept and Origin is added to it", () => {
    const cors = createCors({ allow_origins: ["https://a.example"] });
    const req = new Request("http://gw/api", { headers: { origin: "https://a.example" } });
    const res = toResponse(cors.apply(req, { status: 401, headers: ["vary", "Accept-Encoding"], body: "no" }));
    expect(res.status).toBe(401);
    expect(res.headers.get("access-control-allow-origin")).toBe("https://a.example");
    expect(res.headers.get("vary")).toBe("Accept-Encoding, Origin");
  });

  test("responses to a disallowed origin are not decorated", () => {
    const cors = createCors({ allow_origins: ["https://shop.example"] });
    const req = new Request("http://gw/api", { headers: { origin: "https://evil.example" } });
    expect(toResponse(cors.apply(req, answer(200, "x"))).headers.get("access-control-allow-origin")).toBeNull();
  });

  test("an invalid config names the offending field", () => {
    expect(() => createCors({ allow_methods: ["FETCH"] })).toThrow(/security\/cors\.allow_methods/);
    expect(() => createCors({ max_age: "twelve hours" })).toThrow(/security\/cors\.max_age/);
  });
});
